package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rs/cors"

	"github.com/wardenpdp/warden/server/callerauth"
)

// OriginList is the value of --cors-allowed-origins: comma-separated
// origins, each "scheme://host[:port]", where the host may start with "*."
// for any subdomain, or the single origin "*".
type OriginList []string

// String joins the origins with commas.
func (l *OriginList) String() string { return strings.Join(*l, ",") }

// Set adds the comma-separated origins; origins are compared in lower case,
// as browsers send them.
func (l *OriginList) Set(v string) error {
	for o := range strings.SplitSeq(v, ",") {
		if o = strings.ToLower(strings.TrimSpace(o)); o != "" {
			*l = append(*l, o)
		}
	}
	return nil
}

// validateCORS checks every origin, and that "*" never goes with
// credentials: a browser would then send cookies to Warden from any page.
func (c Config) validateCORS() []error {
	var errs []error
	for _, o := range c.CORSAllowedOrigins {
		if o == "*" {
			if c.CORSAllowCredentials {
				errs = append(errs, fmt.Errorf("--cors-allowed-origins *: not with --cors-allow-credentials; list the origins"))
			}
			continue
		}
		if err := checkOrigin(o); err != nil {
			errs = append(errs, fmt.Errorf("--cors-allowed-origins %q: %w", o, err))
		}
	}
	if len(c.CORSAllowedOrigins) > 0 && !c.HTTPGateway {
		errs = append(errs, fmt.Errorf("--cors-allowed-origins needs the gateway (--http-gateway)"))
	}
	if c.CORSMaxAge < 0 {
		errs = append(errs, fmt.Errorf("--cors-max-age %s: want 0 or more", c.CORSMaxAge))
	}
	return errs
}

// checkOrigin accepts what a browser sends as Origin — scheme, host and
// port, nothing else — with an optional "*." starting the host.
func checkOrigin(o string) error {
	u, err := url.Parse(strings.Replace(o, "://*.", "://wildcard.", 1))
	switch {
	case err != nil:
		return fmt.Errorf("not an origin: %w", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("want http:// or https://")
	case u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return fmt.Errorf("an origin is scheme://host[:port], without a path or anything else")
	case strings.Contains(u.Host, "*"):
		return fmt.Errorf("a wildcard may only start the host: https://*.example.com")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("bad port %q", p)
		}
	}
	return nil
}

// corsHeaders are the request headers a browser may send to the gateway:
// the caller's API key, the end user's token, the JSON body's type, and a
// deadline.
var corsHeaders = []string{callerauth.APIKeyMetadata, "Authorization", "Content-Type", "Grpc-Timeout"}

// corsHandler wraps the gateway with the configured CORS policy. It
// answers preflights itself; on other requests it adds the CORS headers
// for an allowed origin (the origin echoed exactly, with Vary: Origin) and
// none for any other, so the browser withholds the answer. CORS restricts
// browsers only: a request without an Origin header is served as it is.
func (c Config) corsHandler(next http.Handler) http.Handler {
	if len(c.CORSAllowedOrigins) == 0 {
		return next
	}
	return cors.New(cors.Options{
		AllowedOrigins:   c.CORSAllowedOrigins,
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   corsHeaders,
		ExposedHeaders:   []string{"Retry-After"},
		AllowCredentials: c.CORSAllowCredentials,
		MaxAge:           int(c.CORSMaxAge.Seconds()),
	}).Handler(next)
}
