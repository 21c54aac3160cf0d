package model

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// The key of an inet or cidr value: equal exactly when PostgreSQL's
// network_cmp finds two values equal, sorting as it orders them. It
// orders by family (IPv4 first), then by the bits both networks have
// (the shorter prefix's), then by the prefix length, then by the whole
// address. The key writes the family (4 or 6), a colon, the prefix's bits
// as 0 and 1, a slash (which sorts before 0 and 1, so that a shorter
// prefix equal to the start of a longer one sorts first), then the whole
// address in hexadecimal: 10.0.0.1/24 is
// "4:000010100000000000000000/0a000001".

var inetKeyRE = regexp.MustCompile(`^(4:[01]{0,32}/[0-9a-f]{8}|6:[01]{0,128}/[0-9a-f]{32})$`)

// inetKey writes the key of a parsed network.
func inetKey(p netip.Prefix) string {
	a := p.Addr()
	raw := a.AsSlice()
	var b strings.Builder
	if a.Is4() {
		b.WriteString("4:")
	} else {
		b.WriteString("6:")
	}
	for i := range p.Bits() {
		if raw[i/8]&(0x80>>(i%8)) != 0 {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	b.WriteByte('/')
	b.WriteString(hex.EncodeToString(raw))
	return b.String()
}

// inetPG writes an inet or cidr key as PostgreSQL reads it:
// address/length.
func inetPG(key string) (string, error) {
	if !inetKeyRE.MatchString(key) {
		return "", fmt.Errorf("%q is not an inet key", clip(key))
	}
	bits, addr, _ := strings.Cut(key[2:], "/")
	raw, _ := hex.DecodeString(addr)
	a, _ := netip.AddrFromSlice(raw)
	return a.String() + "/" + strconv.Itoa(len(bits)), nil
}
