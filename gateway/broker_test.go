package gateway

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/depinhq/depin/clock"
)

// rawClient speaks MQTT packet by packet (mochi's codec), to see exactly
// what the broker answers where client libraries would hide it.
type rawClient struct {
	t       *testing.T
	conn    net.Conn
	r       *bufio.Reader
	version byte
}

// dialRaw connects with MQTT version (4 = 3.1.1, 5) and returns the
// client and the broker's CONNACK.
func dialRaw(t *testing.T, addr, id string, version byte) (*rawClient, packets.Packet) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &rawClient{t: t, conn: conn, r: bufio.NewReader(conn), version: version}
	c.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, Connect: packets.ConnectParams{
		ProtocolName: []byte("MQTT"), Clean: true, Keepalive: 30, ClientIdentifier: id,
	}})
	ack := c.read()
	if ack.FixedHeader.Type != packets.Connack || ack.ReasonCode != 0 {
		t.Fatalf("connect: %+v", ack)
	}
	return c, ack
}

func (c *rawClient) send(pk packets.Packet) {
	c.t.Helper()
	pk.ProtocolVersion = c.version
	var buf bytes.Buffer
	var err error
	switch pk.FixedHeader.Type {
	case packets.Connect:
		err = pk.ConnectEncode(&buf)
	case packets.Publish:
		err = pk.PublishEncode(&buf)
	case packets.Pubrel:
		err = pk.PubrelEncode(&buf)
	case packets.Subscribe:
		err = pk.SubscribeEncode(&buf)
	default:
		c.t.Fatalf("rawClient cannot send packet type %d", pk.FixedHeader.Type)
	}
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.conn.Write(buf.Bytes()); err != nil {
		c.t.Fatal(err)
	}
}

// read returns the next packet from the broker, failing the test if none
// comes within 5 s.
func (c *rawClient) read() packets.Packet {
	c.t.Helper()
	pk, err := c.next()
	if err != nil {
		c.t.Fatalf("reading from the broker: %v", err)
	}
	return pk
}

// next returns the next packet or the read error (io.EOF once the
// broker closed the connection).
func (c *rawClient) next() (packets.Packet, error) {
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := c.r.ReadByte()
	if err != nil {
		return packets.Packet{}, err
	}
	pk := packets.Packet{ProtocolVersion: c.version}
	if err := pk.FixedHeader.Decode(b); err != nil {
		return pk, err
	}
	n, _, err := packets.DecodeLength(c.r)
	if err != nil {
		return pk, err
	}
	pk.FixedHeader.Remaining = n
	body := make([]byte, n)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return pk, err
	}
	switch pk.FixedHeader.Type {
	case packets.Connack:
		err = pk.ConnackDecode(body)
	case packets.Puback:
		err = pk.PubackDecode(body)
	case packets.Pubrec:
		err = pk.PubrecDecode(body)
	case packets.Pubcomp:
		err = pk.PubcompDecode(body)
	case packets.Suback:
		err = pk.SubackDecode(body)
	case packets.Publish:
		err = pk.PublishDecode(body)
	case packets.Disconnect:
		err = pk.DisconnectDecode(body)
	}
	return pk, err
}

// closed checks that the broker closes the connection without sending
// anything more.
func (c *rawClient) closed() {
	c.t.Helper()
	pk, err := c.next()
	if err == nil {
		c.t.Fatalf("the broker sent %+v; want the connection closed", pk)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.t.Fatal("the connection is still open")
	}
}

func publishPacket(id uint16, qos byte, topic string, payload []byte) packets.Packet {
	return packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: qos}, PacketID: id, TopicName: topic, Payload: payload}
}

// TestBrokerAnswers holds what the embedded broker answers an MQTT 5
// client, packet by packet: the maximum packet size in the CONNACK; a
// plain success (no reason code 0x01) for an accepted QoS 1 report
// carrying user properties; the QoS 2 exchange, with a refusal in the
// PUBREC rather than a PUBACK; the failed check in every refusal's reason
// string; and a DISCONNECT 0x95 saying why for a packet over the maximum.
func TestBrokerAnswers(t *testing.T) {
	cfg := testConfig()
	cfg.HTTPListen = ""
	g := newGateway(t, cfg, newMemChain(clock.System{}))
	runGateway(t, g)
	dev := newDevice("a", "solar")
	c, ack := dialRaw(t, g.MQTTAddr(), "raw", 5)
	if ack.Properties.MaximumPacketSize != MaxMQTTPacketBytes {
		t.Fatalf("CONNACK maximum packet size %d, want %d", ack.Properties.MaximumPacketSize, MaxMQTTPacketBytes)
	}

	// Accepted at QoS 1 with a user property: a plain success.
	pk := publishPacket(1, 1, dev.topic(), dev.report(t, testChainID))
	pk.Properties.User = []packets.UserProperty{{Key: "k", Val: "v"}}
	c.send(pk)
	if a := c.read(); a.FixedHeader.Type != packets.Puback || a.PacketID != 1 || a.ReasonCode != 0 || len(a.Properties.User) != 0 {
		t.Fatalf("accepted QoS 1 with a user property: type %d code %#x user properties %v; want PUBACK 0x00 without properties",
			a.FixedHeader.Type, a.ReasonCode, a.Properties.User)
	}
	// Accepted at QoS 2: PUBREC, PUBREL, PUBCOMP.
	c.send(publishPacket(2, 2, dev.topic(), dev.report(t, testChainID)))
	if a := c.read(); a.FixedHeader.Type != packets.Pubrec || a.PacketID != 2 || a.ReasonCode != 0 {
		t.Fatalf("accepted QoS 2: type %d code %#x; want PUBREC 0x00", a.FixedHeader.Type, a.ReasonCode)
	}
	c.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pubrel, Qos: 1}, PacketID: 2})
	if a := c.read(); a.FixedHeader.Type != packets.Pubcomp || a.PacketID != 2 {
		t.Fatalf("PUBREL answered type %d; want PUBCOMP", a.FixedHeader.Type)
	}

	for _, tc := range []struct {
		name    string
		qos     byte
		topic   string
		payload []byte
		ack     byte // packet type
		code    byte
		reason  string // in the reason string
	}{
		{"junk at QoS 2", 2, dev.topic(), []byte("junk"), packets.Pubrec, 0x99, "malformed report"},
		{"junk", 1, dev.topic(), []byte("junk"), packets.Puback, 0x99, "malformed report"},
		{"over 1024 bytes", 1, dev.topic(), make([]byte, 2000), packets.Puback, 0x99, "report too large: 2000 bytes, at most 1024"},
		{"another device's topic", 1, newDevice("b", "solar").topic(), dev.report(t, testChainID), packets.Puback, 0x90, "report signed by " + dev.topicDevice()},
		{"a results topic", 1, ResultsTopic(dev.id), []byte(`{"status":"accepted"}`), packets.Puback, 0x90, "where the gateway publishes results"},
		{"signed for another chain", 2, dev.topic(), dev.report(t, "another-chain"), packets.Pubrec, 0x87, `does not verify for chain "gateway-test"`},
	} {
		c.send(publishPacket(10, tc.qos, tc.topic, tc.payload))
		a := c.read()
		if a.FixedHeader.Type != tc.ack || a.PacketID != 10 || a.ReasonCode != tc.code || !strings.Contains(a.Properties.ReasonString, tc.reason) {
			t.Errorf("%s: type %d code %#x reason %q; want type %d code %#x and a reason with %q",
				tc.name, a.FixedHeader.Type, a.ReasonCode, a.Properties.ReasonString, tc.ack, tc.code, tc.reason)
		}
	}

	// A packet over the maximum: DISCONNECT 0x95, then the connection closes.
	c.send(publishPacket(11, 1, dev.topic(), make([]byte, MaxMQTTPacketBytes)))
	d := c.read()
	if d.FixedHeader.Type != packets.Disconnect || d.ReasonCode != 0x95 || !strings.Contains(d.Properties.ReasonString, "the maximum packet size is 8192") {
		t.Fatalf("oversize packet: type %d code %#x reason %q; want DISCONNECT 0x95 with the limit", d.FixedHeader.Type, d.ReasonCode, d.Properties.ReasonString)
	}
	c.closed()

	// MQTT 3.1.1 has no way to say it: the connection just closes.
	c3, _ := dialRaw(t, g.MQTTAddr(), "raw3", 4)
	c3.send(publishPacket(1, 1, dev.topic(), make([]byte, MaxMQTTPacketBytes)))
	c3.closed()

	waitFor(t, "2 reports committed", func() bool { return g.Stats().Committed == 2 })
	if st := g.Stats(); st.Invalid[ReasonTooLarge] != 1 || st.Invalid[ReasonTopic] != 2 || st.Invalid[ReasonDecode] != 2 || st.Invalid[ReasonSignature] != 1 {
		t.Fatalf("invalid %v", st.Invalid)
	}
}

// TestLimitConnFraming: the packet limit follows MQTT framing across
// reads of any size, passes every packet up to the limit whole, and stops
// at the first packet over it.
func TestLimitConnFraming(t *testing.T) {
	packet := func(remaining int) []byte { // a PUBLISH with this remaining length
		p := []byte{0x30}
		for v := remaining; ; v >>= 7 {
			if v < 0x80 {
				p = append(p, byte(v))
				break
			}
			p = append(p, byte(v&0x7f)|0x80)
		}
		return append(p, make([]byte, remaining)...)
	}
	const limit = 300 // = len(packet(297)): 1 type byte, 2 length bytes
	ok := append(append(packet(0), packet(200)...), packet(297)...)
	stream := append(append([]byte(nil), ok...), packet(298)...)
	stream = append(stream, packet(10)...)
	for _, chunk := range []int{1, 2, 3, 7, 64, 1000} {
		server, client := net.Pipe()
		go func() {
			for i := 0; i < len(stream); i += chunk {
				if _, err := client.Write(stream[i:min(i+chunk, len(stream))]); err != nil {
					return
				}
			}
			client.Close()
		}()
		refused := 0
		lc := &limitConn{Conn: server, max: limit}
		f := func(size int) { refused = size }
		lc.refuse.Store(&f)
		got, err := io.ReadAll(lc)
		server.Close()
		// The packets up to the limit whole; of the next, at most the
		// part of its fixed header that came in earlier reads (the broker
		// then waits for the rest and gets the error).
		if !errors.Is(err, errPacketTooLarge) || !bytes.Equal(got, stream[:len(got)]) || len(got) < len(ok) || len(got) > len(ok)+2 {
			t.Fatalf("reads of %d: got %d bytes (the packets up to the limit are %d), err %v", chunk, len(got), len(ok), err)
		}
		if refused != limit+1 {
			t.Fatalf("reads of %d: refused a packet of %d bytes, want %d", chunk, refused, limit+1)
		}
	}
}
