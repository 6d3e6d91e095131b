package gateway

import (
	"errors"
	"net"
	"sync/atomic"
)

// errPacketTooLarge ends a connection whose client sent a packet over
// MaxMQTTPacketBytes.
var errPacketTooLarge = errors.New("MQTT packet over the maximum packet size")

// limitListener hands the broker connections that stop at the first
// packet over max (see limitConn).
type limitListener struct {
	net.Listener
	max int
}

func (l limitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &limitConn{Conn: c, max: l.max}, nil
}

// limitConn follows the MQTT framing of what a client sends (a type byte,
// the remaining length as a varint, the rest) and stops at the first
// packet over max before the broker reads any of it. The broker (mochi)
// would drop the connection without a word; once the client's MQTT 5
// session is established, refuse tells it why first (DISCONNECT 0x95
// "packet too large", as MQTT 5 §4.13 asks), so a device's log says what
// went wrong. Only the broker's reading goroutine calls Read.
type limitConn struct {
	net.Conn
	max int
	// refuse, once set (by the broker's hook when the session is
	// established), tells the client its packet of size bytes is too
	// large.
	refuse atomic.Pointer[func(size int)]

	inLength bool // reading a remaining length
	length   int  // the remaining length so far
	lenBytes int  // its bytes so far
	left     int  // bytes of the current packet still to come
	tooLarge int  // > 0: the next packet is this large: end at the next Read
}

func (c *limitConn) Read(p []byte) (int, error) {
	if c.tooLarge > 0 {
		return 0, c.stop()
	}
	n, err := c.Conn.Read(p)
	start := 0 // where the packet being framed started in p (0: before p)
	for i := 0; i < n; {
		switch {
		case c.left > 0:
			k := min(c.left, n-i)
			c.left -= k
			i += k
		case c.inLength:
			b := p[i]
			i++
			c.length |= int(b&0x7f) << (7 * c.lenBytes)
			c.lenBytes++
			if b&0x80 != 0 && c.lenBytes < 4 {
				continue
			}
			c.inLength = false
			size := 1 + c.lenBytes + c.length
			if b&0x80 == 0 && size <= c.max {
				c.left = c.length
				continue
			}
			// Too large (or a malformed length, which the broker refuses
			// anyway). The broker gets what came before this packet, and
			// the next Read ends the connection.
			c.tooLarge = max(size, c.max+1)
			if start > 0 {
				return start, nil
			}
			return 0, c.stop()
		default: // a packet's first byte
			start = i
			c.inLength, c.length, c.lenBytes = true, 0, 0
			i++
		}
	}
	return n, err
}

// stop tells the client (if it can be told) and ends the read side.
func (c *limitConn) stop() error {
	if f := c.refuse.Load(); f != nil {
		(*f)(c.tooLarge)
	}
	return errPacketTooLarge
}
