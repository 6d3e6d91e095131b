/*
 * A reference depin device in C, written from docs/DEVICE-PROTOCOL.md.
 *
 * Ed25519, SHA-256 and randomness come from libsodium; MQTT from
 * libmosquitto (MQTT 5, QoS 1); everything protocol-specific is written
 * out here: bech32, the protobuf encoder of the report's few fields, the
 * sign bytes. HTTP is a plain socket. A small JSON reader handles the key
 * file, the state file and the test vectors.
 *
 *   device --vectors wire/testdata/device-vectors.json
 *   device show  --key dev.key            (creates the key if there is none)
 *   device prove --key dev.key --owner depin1... --chain-id depin-devnet
 *   device run   --key dev.key --network solar --chain-id depin-devnet \
 *                --metric 1=1 --count 3 --interval 2 --mqtt 127.0.0.1:1883
 *   device run   --key dev.key --network solar --chain-id depin-devnet \
 *                --metric 1=1 --http 127.0.0.1:8080
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <sodium.h>

/* ---- small helpers ------------------------------------------------------ */

_Noreturn static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("device: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* A growable byte buffer. */
typedef struct {
	unsigned char *p;
	size_t len, cap;
} buf;

static void buf_put(buf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		while (cap < b->len + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			die("out of memory");
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void buf_byte(buf *b, unsigned char c) { buf_put(b, &c, 1); }

static char *to_hex(const unsigned char *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	if (!s)
		die("out of memory");
	sodium_bin2hex(s, 2 * n + 1, p, n);
	return s;
}

static size_t from_hex(const char *hex, unsigned char *out, size_t max)
{
	size_t n;
	if (sodium_hex2bin(out, max, hex, strlen(hex), NULL, &n, NULL) != 0)
		die("bad hex: %.20s...", hex);
	return n;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	buf b = {0};
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_put(&b, chunk, n);
	fclose(f);
	buf_byte(&b, 0);
	return (char *)b.p;
}

/* Writes data to path durably and atomically: a temp file in the same
 * directory, fsync, rename over path, fsync of the directory. */
static void write_file_atomic(const char *path, const char *data)
{
	char tmp[4096], dir[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path) >= (int)sizeof tmp)
		die("path too long");
	int fd = mkstemp(tmp);
	if (fd < 0)
		die("%s: %s", tmp, strerror(errno));
	size_t n = strlen(data);
	if (fchmod(fd, 0600) != 0 || write(fd, data, n) != (ssize_t)n || fsync(fd) != 0)
		die("writing %s: %s", tmp, strerror(errno));
	close(fd);
	if (rename(tmp, path) != 0)
		die("rename %s: %s", path, strerror(errno));
	snprintf(dir, sizeof dir, "%s", path);
	int dfd = open(dirname(dir), O_RDONLY);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
}

/* ---- a small JSON reader -------------------------------------------------
 * Enough for the key file, the state file and the vectors: objects,
 * arrays, strings (with \uXXXX escapes), numbers kept as text, literals. */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct jval {
	enum jtype type;
	char *str;          /* J_STR: the string; J_NUM: its text */
	char *key;          /* member name when inside an object */
	struct jval *child; /* first element or member */
	struct jval *next;  /* next sibling */
} jval;

static const char *jp;

static void jws(void)
{
	while (*jp == ' ' || *jp == '\n' || *jp == '\r' || *jp == '\t')
		jp++;
}

static jval *jparse(void);

static char *jstring(void)
{
	buf b = {0};
	if (*jp != '"')
		die("JSON: string expected at %.20s", jp);
	jp++;
	while (*jp != '"') {
		if (!*jp)
			die("JSON: unterminated string");
		if (*jp != '\\') {
			buf_byte(&b, (unsigned char)*jp++);
			continue;
		}
		jp++;
		switch (*jp++) {
		case 'n': buf_byte(&b, '\n'); break;
		case 't': buf_byte(&b, '\t'); break;
		case 'r': buf_byte(&b, '\r'); break;
		case 'b': buf_byte(&b, '\b'); break;
		case 'f': buf_byte(&b, '\f'); break;
		case 'u': {
			unsigned cp;
			if (sscanf(jp, "%4x", &cp) != 1)
				die("JSON: bad \\u escape");
			jp += 4;
			if (cp < 0x80) {
				buf_byte(&b, (unsigned char)cp);
			} else if (cp < 0x800) {
				buf_byte(&b, (unsigned char)(0xC0 | cp >> 6));
				buf_byte(&b, (unsigned char)(0x80 | (cp & 0x3F)));
			} else { /* surrogate pairs are not needed here */
				buf_byte(&b, (unsigned char)(0xE0 | cp >> 12));
				buf_byte(&b, (unsigned char)(0x80 | ((cp >> 6) & 0x3F)));
				buf_byte(&b, (unsigned char)(0x80 | (cp & 0x3F)));
			}
			break;
		}
		default: buf_byte(&b, (unsigned char)jp[-1]); break; /* " \ / */
		}
	}
	jp++;
	buf_byte(&b, 0);
	return (char *)b.p;
}

static jval *jnew(enum jtype t)
{
	jval *v = calloc(1, sizeof *v);
	if (!v)
		die("out of memory");
	v->type = t;
	return v;
}

static jval *jparse(void)
{
	jws();
	jval *v;
	if (*jp == '{' || *jp == '[') {
		char close = *jp == '{' ? '}' : ']';
		v = jnew(*jp == '{' ? J_OBJ : J_ARR);
		jp++;
		jval **tail = &v->child;
		jws();
		while (*jp != close) {
			char *key = NULL;
			if (v->type == J_OBJ) {
				key = jstring();
				jws();
				if (*jp++ != ':')
					die("JSON: ':' expected");
			}
			*tail = jparse();
			(*tail)->key = key;
			tail = &(*tail)->next;
			jws();
			if (*jp == ',')
				jp++;
			else if (*jp != close)
				die("JSON: ',' or '%c' expected at %.20s", close, jp);
			jws();
		}
		jp++;
		return v;
	}
	if (*jp == '"') {
		v = jnew(J_STR);
		v->str = jstring();
		return v;
	}
	if (!strncmp(jp, "true", 4) || !strncmp(jp, "false", 5) || !strncmp(jp, "null", 4)) {
		v = jnew(*jp == 'n' ? J_NULL : J_BOOL);
		jp += *jp == 'f' ? 5 : 4;
		return v;
	}
	const char *start = jp;
	while (*jp == '-' || *jp == '+' || *jp == '.' || *jp == 'e' || *jp == 'E' || (*jp >= '0' && *jp <= '9'))
		jp++;
	if (jp == start)
		die("JSON: unexpected %.20s", jp);
	v = jnew(J_NUM);
	v->str = strndup(start, (size_t)(jp - start));
	return v;
}

static jval *json_parse(const char *text)
{
	jp = text;
	return jparse();
}

static jval *jget(const jval *obj, const char *key)
{
	for (jval *m = obj ? obj->child : NULL; m; m = m->next)
		if (m->key && !strcmp(m->key, key))
			return m;
	return NULL;
}

static const char *jstr(const jval *obj, const char *key)
{
	jval *v = jget(obj, key);
	if (!v || (v->type != J_STR && v->type != J_NUM))
		die("JSON: no \"%s\"", key);
	return v->str;
}

/* ---- identity (§2): device id and bech32 ---------------------------------- */

#define DEVICE_HRP "depindev"
#define ACCOUNT_HRP "depin"

static const char BECH32_CHARSET[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t bech32_polymod_step(uint32_t chk, unsigned v)
{
	static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
	uint32_t top = chk >> 25;
	chk = ((chk & 0x1ffffff) << 5) ^ v;
	for (int i = 0; i < 5; i++)
		if ((top >> i) & 1)
			chk ^= gen[i];
	return chk;
}

static uint32_t bech32_hrp_polymod(const char *hrp)
{
	uint32_t chk = 1;
	for (const char *c = hrp; *c; c++)
		chk = bech32_polymod_step(chk, (unsigned char)*c >> 5);
	chk = bech32_polymod_step(chk, 0);
	for (const char *c = hrp; *c; c++)
		chk = bech32_polymod_step(chk, (unsigned char)*c & 31);
	return chk;
}

/* BIP-173 bech32 (checksum constant 1, not bech32m) of 8-bit data. */
static void bech32_encode(char *out, size_t outlen, const char *hrp, const unsigned char *data, size_t n)
{
	unsigned char five[128];
	size_t nf = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | data[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			five[nf++] = (acc >> bits) & 31;
		}
	}
	if (bits)
		five[nf++] = (acc << (5 - bits)) & 31;
	uint32_t chk = bech32_hrp_polymod(hrp);
	for (size_t i = 0; i < nf; i++)
		chk = bech32_polymod_step(chk, five[i]);
	for (int i = 0; i < 6; i++)
		chk = bech32_polymod_step(chk, 0);
	chk ^= 1;
	size_t hl = strlen(hrp);
	if (hl + 1 + nf + 6 + 1 > outlen)
		die("bech32: output too small");
	memcpy(out, hrp, hl);
	char *p = out + hl;
	*p++ = '1';
	for (size_t i = 0; i < nf; i++)
		*p++ = BECH32_CHARSET[five[i]];
	for (int i = 0; i < 6; i++)
		*p++ = BECH32_CHARSET[(chk >> (5 * (5 - i))) & 31];
	*p = 0;
}

/* Decodes a bech32 string with the given hrp into out; returns its length. */
static size_t bech32_decode(const char *hrp, const char *s, unsigned char *out, size_t max)
{
	const char *sep = strrchr(s, '1');
	size_t hl = strlen(hrp);
	if (!sep || (size_t)(sep - s) != hl || strncmp(s, hrp, hl) || strlen(sep + 1) < 6)
		die("%s is not a bech32 string with prefix %s", s, hrp);
	uint32_t chk = bech32_hrp_polymod(hrp);
	size_t nd = strlen(sep + 1);
	unsigned char five[128];
	if (nd > sizeof five)
		die("%s: too long", s);
	for (size_t i = 0; i < nd; i++) {
		const char *c = strchr(BECH32_CHARSET, sep[1 + i]);
		if (!c || !sep[1 + i])
			die("%s: bad bech32 character", s);
		five[i] = (unsigned char)(c - BECH32_CHARSET);
		chk = bech32_polymod_step(chk, five[i]);
	}
	if (chk != 1)
		die("%s: bad bech32 checksum", s);
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i + 6 < nd; i++) {
		acc = (acc << 5) | five[i];
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (n == max)
				die("%s: too long", s);
			out[n++] = (acc >> bits) & 0xff;
		}
	}
	if (bits >= 5 || (acc & ((1u << bits) - 1)))
		die("%s: bad bech32 padding", s);
	return n;
}

typedef struct {
	unsigned char seed[32];
	unsigned char pub[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	unsigned char id[20];
	char name[64]; /* depindev1... */
} key;

static void key_from_seed(key *k, const unsigned char seed[32])
{
	unsigned char sum[crypto_hash_sha256_BYTES];
	memcpy(k->seed, seed, 32);
	crypto_sign_seed_keypair(k->pub, k->sk, seed);
	crypto_hash_sha256(sum, k->pub, sizeof k->pub); /* device id: first 20 bytes */
	memcpy(k->id, sum, 20);
	bech32_encode(k->name, sizeof k->name, DEVICE_HRP, k->id, 20);
}

static const char KEY_WARNING[] = "unencrypted device key: anyone who can read this file can sign reports as this device";

/* Reads the key file the Go SDK writes (agent.SaveKey), or makes a new key
 * and writes it there with mode 0600. */
static void load_or_create_key(key *k, const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0) {
		if (st.st_mode & 077)
			die("%s is accessible to others: chmod 600 it", path);
		char *text = read_file(path);
		if (!text)
			die("%s: %s", path, strerror(errno));
		jval *kf = json_parse(text);
		if (strcmp(jstr(kf, "version"), "1") || strcmp(jstr(kf, "type"), "ed25519"))
			die("%s: not a version 1 ed25519 device key file", path);
		unsigned char seed[32];
		if (from_hex(jstr(kf, "seed"), seed, sizeof seed) != 32)
			die("%s: the seed is not 32 bytes", path);
		key_from_seed(k, seed);
		char *pubhex = to_hex(k->pub, sizeof k->pub);
		if (strcmp(pubhex, jstr(kf, "public_key")) || strcmp(k->name, jstr(kf, "device")))
			die("%s: public key or device id does not match the seed", path);
		return;
	}
	unsigned char seed[32];
	randombytes_buf(seed, sizeof seed);
	key_from_seed(k, seed);
	char *seedhex = to_hex(seed, 32), *pubhex = to_hex(k->pub, sizeof k->pub);
	char text[1024];
	snprintf(text, sizeof text,
		 "{\n  \"version\": 1,\n  \"type\": \"ed25519\",\n  \"device\": \"%s\",\n  \"public_key\": \"%s\",\n"
		 "  \"seed\": \"%s\",\n  \"warning\": \"%s\"\n}\n",
		 k->name, pubhex, seedhex, KEY_WARNING);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	size_t n = strlen(text);
	if (write(fd, text, n) != (ssize_t)n || fsync(fd) != 0)
		die("writing %s: %s", path, strerror(errno));
	close(fd);
	sodium_memzero(text, sizeof text);
	fprintf(stderr, "created %s\n", path);
}

/* ---- the report (§3) and its signature (§4) -------------------------------- */

static void put_varint(buf *b, uint64_t v)
{
	while (v >= 0x80) {
		buf_byte(b, (unsigned char)((v & 0x7f) | 0x80));
		v >>= 7;
	}
	buf_byte(b, (unsigned char)v);
}

/* A varint field, left out when zero. An int64 is passed as its 64-bit
 * two's complement (a negative value takes 10 bytes), not zig-zag. */
static void put_field_varint(buf *b, unsigned num, uint64_t v)
{
	if (!v)
		return;
	put_varint(b, (uint64_t)num << 3 | 0);
	put_varint(b, v);
}

/* A length-delimited field, left out when empty. */
static void put_field_bytes(buf *b, unsigned num, const void *p, size_t n)
{
	if (!n)
		return;
	put_varint(b, (uint64_t)num << 3 | 2);
	put_varint(b, n);
	buf_put(b, p, n);
}

typedef struct {
	uint32_t id;
	uint64_t value;
} metric;

#define MAX_METRICS 16

/* The canonical Report: fields in number order, zero values left out,
 * metrics in the order given, each a nested MetricValue. */
static buf encode_report(const char *network, const unsigned char pub[32], uint64_t seq, int64_t start, int64_t end,
			 const metric *m, int nm)
{
	buf b = {0};
	put_field_bytes(&b, 1, network, strlen(network));
	put_field_bytes(&b, 2, pub, 32);
	put_field_varint(&b, 3, seq);
	put_field_varint(&b, 4, (uint64_t)start);
	put_field_varint(&b, 5, (uint64_t)end);
	for (int i = 0; i < nm; i++) {
		buf mv = {0};
		put_field_varint(&mv, 1, m[i].id);
		put_field_varint(&mv, 2, m[i].value);
		/* An all-zero MetricValue is still a metric: field 6, length 0. */
		put_varint(&b, 6 << 3 | 2);
		put_varint(&b, mv.len);
		buf_put(&b, mv.p, mv.len);
		free(mv.p);
	}
	return b;
}

static buf encode_signed_report(const buf *report, const unsigned char sig[64])
{
	buf b = {0};
	put_field_bytes(&b, 1, report->p, report->len);
	put_field_bytes(&b, 2, sig, 64);
	return b;
}

/* domain || 0x00 || uvarint(len(chain_id)) || chain_id || payload */
static buf sign_bytes(const char *domain, const char *chain_id, const unsigned char *payload, size_t n)
{
	buf b = {0};
	buf_put(&b, domain, strlen(domain));
	buf_byte(&b, 0);
	put_varint(&b, strlen(chain_id));
	buf_put(&b, chain_id, strlen(chain_id));
	buf_put(&b, payload, n);
	return b;
}

static void sign(const key *k, const buf *msg, unsigned char sig[64])
{
	crypto_sign_detached(sig, NULL, msg->p, msg->len, k->sk);
}

static void topic(char *out, size_t n, const char *network, const key *k)
{
	snprintf(out, n, "depin/v1/%s/%s/report", network, k->name);
}

/* ---- test vectors ---------------------------------------------------------- */

static int passed, failed;

static void check(const char *name, const char *what, const char *got, const char *want)
{
	if (!strcmp(got, want)) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL %s: %s\n  got  %s\n  want %s\n", name, what, got, want);
}

static void check_buf(const char *name, const char *what, const buf *got, const char *want)
{
	char *h = to_hex(got->p, got->len);
	check(name, what, h, want);
	free(h);
}

static int cmd_vectors(const char *path)
{
	char *text = read_file(path);
	if (!text)
		die("%s: %s", path, strerror(errno));
	jval *v = json_parse(text);
	jval *kv = jget(v, "key");
	unsigned char seed[32];
	from_hex(jstr(kv, "seed"), seed, sizeof seed);
	key k;
	key_from_seed(&k, seed);
	unsigned char sum[32];
	crypto_hash_sha256(sum, k.pub, 32);
	char *h;
	check("key", "public_key", h = to_hex(k.pub, 32), jstr(kv, "public_key"));
	check("key", "public_key_sha256", h = to_hex(sum, 32), jstr(kv, "public_key_sha256"));
	check("key", "device_id_hex", h = to_hex(k.id, 20), jstr(kv, "device_id_hex"));
	check("key", "device_id", k.name, jstr(kv, "device_id"));

	for (jval *r = jget(v, "reports")->child; r; r = r->next) {
		const char *name = jstr(r, "name");
		metric m[MAX_METRICS];
		int nm = 0;
		for (jval *mv = jget(r, "metrics")->child; mv; mv = mv->next) {
			if (nm == MAX_METRICS)
				die("%s: too many metrics", name);
			m[nm].id = (uint32_t)strtoul(jstr(mv, "id"), NULL, 10);
			m[nm].value = strtoull(jstr(mv, "value"), NULL, 10);
			nm++;
		}
		buf rep = encode_report(jstr(r, "network"), k.pub, strtoull(jstr(r, "seq"), NULL, 10),
					strtoll(jstr(r, "period_start"), NULL, 10), strtoll(jstr(r, "period_end"), NULL, 10), m, nm);
		buf sb = sign_bytes("depin/report/v1", jstr(r, "chain_id"), rep.p, rep.len);
		unsigned char sig[64];
		sign(&k, &sb, sig);
		buf signed_report = encode_signed_report(&rep, sig);
		char t[256];
		topic(t, sizeof t, jstr(r, "network"), &k);
		check_buf(name, "report_bytes", &rep, jstr(r, "report_bytes"));
		check_buf(name, "sign_bytes", &sb, jstr(r, "sign_bytes"));
		check(name, "signature", h = to_hex(sig, 64), jstr(r, "signature"));
		check_buf(name, "signed_report", &signed_report, jstr(r, "signed_report"));
		check(name, "topic", t, jstr(r, "topic"));
	}
	for (jval *p = jget(v, "possession")->child; p; p = p->next) {
		unsigned char owner[64];
		size_t n = bech32_decode(ACCOUNT_HRP, jstr(p, "owner"), owner, sizeof owner);
		char again[128];
		bech32_encode(again, sizeof again, ACCOUNT_HRP, owner, n);
		check("possession", "owner_hex", h = to_hex(owner, n), jstr(p, "owner_hex"));
		check("possession", "owner bech32", again, jstr(p, "owner"));
		buf sb = sign_bytes("depin/register/v1", jstr(p, "chain_id"), owner, n);
		unsigned char sig[64];
		sign(&k, &sb, sig);
		check_buf("possession", "sign_bytes", &sb, jstr(p, "sign_bytes"));
		check("possession", "signature", h = to_hex(sig, 64), jstr(p, "signature"));
	}
	printf("vectors: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

/* ---- publishing (§7, §8) --------------------------------------------------- */

enum outcome { OK, TRY_LATER, REFUSED };

typedef struct {
	bool connected, acked;
	int connect_rc, ack_mid, ack_code;
} mqtt_state;

static void on_connect(struct mosquitto *m, void *obj, int rc, int flags, const mosquitto_property *props)
{
	(void)m, (void)flags, (void)props;
	mqtt_state *s = obj;
	s->connected = true;
	s->connect_rc = rc;
}

/* The PUBACK's reason code: below 0x80 is success (§7). */
static void on_publish(struct mosquitto *m, void *obj, int mid, int reason, const mosquitto_property *props)
{
	(void)m, (void)props;
	mqtt_state *s = obj;
	s->acked = true;
	s->ack_mid = mid;
	s->ack_code = reason;
}

static struct mosquitto *mqtt_open(const char *hostport, const char *client_id, mqtt_state *s)
{
	char host[256];
	snprintf(host, sizeof host, "%s", hostport);
	char *colon = strrchr(host, ':');
	int port = 1883;
	if (colon) {
		*colon = 0;
		port = atoi(colon + 1);
	}
	mosquitto_lib_init();
	struct mosquitto *m = mosquitto_new(client_id, true, s);
	if (!m)
		die("mosquitto_new failed");
	mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
	mosquitto_connect_v5_callback_set(m, on_connect);
	mosquitto_publish_v5_callback_set(m, on_publish);
	int rc = mosquitto_connect(m, host, port, 30);
	if (rc != MOSQ_ERR_SUCCESS)
		die("MQTT connect to %s: %s", hostport, mosquitto_strerror(rc));
	for (int i = 0; i < 100 && !s->connected; i++)
		mosquitto_loop(m, 100, 1);
	if (!s->connected)
		die("no CONNACK from %s", hostport);
	if (s->connect_rc)
		die("CONNACK: %s", mosquitto_reason_string(s->connect_rc));
	return m;
}

static enum outcome mqtt_publish(struct mosquitto *m, mqtt_state *s, const char *t, const buf *payload, char *msg, size_t n)
{
	int mid;
	s->acked = false;
	int rc = mosquitto_publish_v5(m, &mid, t, (int)payload->len, payload->p, 1, false, NULL);
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(msg, n, "publish: %s", mosquitto_strerror(rc));
		return TRY_LATER;
	}
	for (int i = 0; i < 100 && !(s->acked && s->ack_mid == mid); i++) {
		rc = mosquitto_loop(m, 100, 1);
		if (rc != MOSQ_ERR_SUCCESS) {
			snprintf(msg, n, "connection: %s", mosquitto_strerror(rc));
			return TRY_LATER;
		}
	}
	if (!s->acked) {
		snprintf(msg, n, "no PUBACK within 10 s");
		return TRY_LATER;
	}
	snprintf(msg, n, "PUBACK 0x%02x", s->ack_code);
	if (s->ack_code < 0x80)
		return OK;
	if (s->ack_code == 0x97 || s->ack_code == 0x83) /* quota exceeded, implementation specific */
		return TRY_LATER;
	return REFUSED;
}

/* POST /v1/reports over a plain socket: the body is the SignedReport. */
static enum outcome http_publish(const char *hostport, const buf *payload, char *msg, size_t n)
{
	char host[256], port[16] = "80";
	snprintf(host, sizeof host, "%s", hostport);
	char *colon = strrchr(host, ':');
	if (colon) {
		*colon = 0;
		snprintf(port, sizeof port, "%s", colon + 1);
	}
	struct addrinfo hints = {0}, *ai;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0) {
		snprintf(msg, n, "cannot resolve %s", host);
		return TRY_LATER;
	}
	int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		snprintf(msg, n, "connect %s: %s", hostport, strerror(errno));
		freeaddrinfo(ai);
		if (fd >= 0)
			close(fd);
		return TRY_LATER;
	}
	freeaddrinfo(ai);
	char head[512];
	int hl = snprintf(head, sizeof head,
			  "POST /v1/reports HTTP/1.1\r\nHost: %s\r\nContent-Type: application/octet-stream\r\n"
			  "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			  hostport, payload->len);
	if (write(fd, head, (size_t)hl) != hl || write(fd, payload->p, payload->len) != (ssize_t)payload->len) {
		snprintf(msg, n, "write: %s", strerror(errno));
		close(fd);
		return TRY_LATER;
	}
	buf resp = {0};
	char chunk[1024];
	ssize_t r;
	while ((r = read(fd, chunk, sizeof chunk)) > 0)
		buf_put(&resp, chunk, (size_t)r);
	close(fd);
	buf_byte(&resp, 0);
	int status = 0;
	if (sscanf((char *)resp.p, "HTTP/1.%*d %d", &status) != 1) {
		snprintf(msg, n, "no HTTP answer");
		free(resp.p);
		return TRY_LATER;
	}
	const char *body = strstr((char *)resp.p, "\r\n\r\n");
	snprintf(msg, n, "HTTP %d %s", status, body ? body + 4 : "");
	msg[strcspn(msg, "\n")] = 0;
	free(resp.p);
	if (status >= 200 && status < 300)
		return OK;
	if (status == 408 || status == 429 || status >= 500)
		return TRY_LATER;
	return REFUSED;
}

/* ---- commands ---------------------------------------------------------------- */

static const char *arg(int argc, char **argv, const char *name, const char *def)
{
	for (int i = 0; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return def;
}

_Noreturn static void usage(void)
{
	fputs("usage: device --vectors FILE\n"
	      "       device show  --key FILE\n"
	      "       device prove --key FILE --owner depin1... --chain-id ID\n"
	      "       device run   --key FILE --network NET --chain-id ID --metric ID=VALUE [--metric ...]\n"
	      "                    [--count N] [--interval SECONDS] [--state FILE]\n"
	      "                    [--mqtt HOST:PORT | --http HOST:PORT]\n",
	      stderr);
	exit(2);
}

static int cmd_run(int argc, char **argv)
{
	const char *keypath = arg(argc, argv, "--key", "device.key");
	const char *network = arg(argc, argv, "--network", NULL);
	const char *chain_id = arg(argc, argv, "--chain-id", NULL);
	const char *http = arg(argc, argv, "--http", NULL);
	const char *mqtt = arg(argc, argv, "--mqtt", "127.0.0.1:1883");
	int count = atoi(arg(argc, argv, "--count", "1"));
	int interval = atoi(arg(argc, argv, "--interval", "10"));
	char statepath[4096];
	snprintf(statepath, sizeof statepath, "%s", arg(argc, argv, "--state", ""));
	if (!statepath[0])
		snprintf(statepath, sizeof statepath, "%s.state", keypath);
	if (!network || !chain_id)
		usage();
	metric m[MAX_METRICS];
	int nm = 0;
	for (int i = 0; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--metric"))
			continue;
		if (nm == MAX_METRICS)
			die("at most %d metrics", MAX_METRICS);
		if (sscanf(argv[i + 1], "%" SCNu32 "=%" SCNu64, &m[nm].id, &m[nm].value) != 2)
			die("--metric %s: want ID=VALUE", argv[i + 1]);
		nm++;
	}
	if (!nm)
		usage();

	key k;
	load_or_create_key(&k, keypath);
	uint64_t seq = 0;
	int64_t last_end = 0;
	char *st = read_file(statepath);
	if (st) {
		jval *s = json_parse(st);
		if (strcmp(jstr(s, "device"), k.name))
			die("%s belongs to device %s, not %s", statepath, jstr(s, "device"), k.name);
		seq = strtoull(jstr(s, "seq"), NULL, 10);
		last_end = strtoll(jstr(s, "period_end"), NULL, 10);
	}

	mqtt_state ms = {0};
	struct mosquitto *mq = http ? NULL : mqtt_open(mqtt, k.name, &ms);
	fprintf(stderr, "device %s reporting to %s%s on %s\n", k.name, http ? "http://" : "mqtt://", http ? http : mqtt, chain_id);
	int bad = 0;
	for (int i = 0; i < count; i++) {
		if (i > 0)
			sleep((unsigned)interval);
		int64_t end = (int64_t)time(NULL);
		/* Periods never overlap: each starts where the last one ended (or,
		 * for a new device, one interval ago). */
		int64_t start = last_end ? last_end : end - (interval > 0 ? interval : 1);
		while (end <= start) {
			struct timespec ts = {0, 200000000};
			nanosleep(&ts, NULL);
			end = (int64_t)time(NULL);
		}
		seq++;
		buf rep = encode_report(network, k.pub, seq, start, end, m, nm);
		buf sb = sign_bytes("depin/report/v1", chain_id, rep.p, rep.len);
		unsigned char sig[64];
		sign(&k, &sb, sig);
		buf signed_report = encode_signed_report(&rep, sig);
		/* Stored before the report leaves: a seq is never signed twice. */
		char state[256];
		snprintf(state, sizeof state, "{\n  \"device\": \"%s\",\n  \"seq\": %" PRIu64 ",\n  \"period_end\": %" PRId64 "\n}\n",
			 k.name, seq, end);
		write_file_atomic(statepath, state);
		last_end = end;

		char t[256], msg[512];
		topic(t, sizeof t, network, &k);
		enum outcome o = TRY_LATER;
		for (int attempt = 0; attempt < 5 && o == TRY_LATER; attempt++) {
			o = http ? http_publish(http, &signed_report, msg, sizeof msg)
				 : mqtt_publish(mq, &ms, t, &signed_report, msg, sizeof msg);
			if (o == TRY_LATER) {
				fprintf(stderr, "seq %" PRIu64 ": %s; resending the same bytes\n", seq, msg);
				sleep((unsigned)(1 + attempt));
			}
		}
		if (o == OK) {
			printf("seq %" PRIu64 " [%" PRId64 ", %" PRId64 "): %s\n", seq, start, end, msg);
		} else {
			fprintf(stderr, "seq %" PRIu64 ": refused: %s\n", seq, msg);
			bad++;
		}
		fflush(stdout);
		free(rep.p);
		free(sb.p);
		free(signed_report.p);
	}
	if (mq) {
		mosquitto_disconnect(mq);
		mosquitto_loop(mq, 100, 1);
		mosquitto_destroy(mq);
		mosquitto_lib_cleanup();
	}
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		die("libsodium failed to initialise");
	const char *vectors = arg(argc, argv, "--vectors", NULL);
	if (vectors)
		return cmd_vectors(vectors);
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "show")) {
		key k;
		load_or_create_key(&k, arg(argc, argv, "--key", "device.key"));
		printf("{\"device\": \"%s\", \"public_key\": \"%s\"}\n", k.name, to_hex(k.pub, 32));
		return 0;
	}
	if (!strcmp(argv[1], "prove")) {
		const char *owner = arg(argc, argv, "--owner", NULL), *chain_id = arg(argc, argv, "--chain-id", NULL);
		if (!owner || !chain_id)
			usage();
		key k;
		load_or_create_key(&k, arg(argc, argv, "--key", "device.key"));
		unsigned char addr[64];
		if (bech32_decode(ACCOUNT_HRP, owner, addr, sizeof addr) != 20)
			die("an owner address is 20 bytes");
		buf sb = sign_bytes("depin/register/v1", chain_id, addr, 20);
		unsigned char sig[64];
		sign(&k, &sb, sig);
		printf("%s\n", to_hex(sig, 64));
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc, argv);
	usage();
}
