package server

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEnvName(t *testing.T) {
	for flagName, want := range map[string]string{
		"grpc-addr":         "WARDEN_GRPC_ADDR",
		"max-recv-msg-size": "WARDEN_MAX_RECV_MSG_SIZE",
		"policy":            "WARDEN_POLICY",
	} {
		if got := EnvName(flagName); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", flagName, got, want)
		}
	}
}

func TestConfigFlagsAndEnv(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    func(c *Config)
		wantErr string
	}{
		{name: "defaults", want: func(*Config) {}},
		{
			name: "environment over defaults",
			env:  map[string]string{"WARDEN_GRPC_ADDR": "0.0.0.0:9000", "WARDEN_SHUTDOWN_TIMEOUT": "3s", "WARDEN_MAX_ROWS": "5"},
			want: func(c *Config) {
				c.GRPCAddr = "0.0.0.0:9000"
				c.ShutdownTimeout = 3 * time.Second
				c.MaxRows = 5
			},
		},
		{
			name: "flags over environment",
			args: []string{"--grpc-addr", "127.0.0.1:1", "--policy=./p"},
			env:  map[string]string{"WARDEN_GRPC_ADDR": "0.0.0.0:9000", "WARDEN_POLICY": "/else"},
			want: func(c *Config) {
				c.GRPCAddr = "127.0.0.1:1"
				c.Policy = "./p"
			},
		},
		{
			name: "security settings, Hasura's names",
			args: []string{"--cors-allowed-origins", "https://App.example.com, https://*.example.org", "--dev"},
			env: map[string]string{
				"WARDEN_JWT_SECRET": `{"type": "HS256", "key": "k"}`, "WARDEN_UNAUTHORIZED_ROLE": "anonymous",
				"WARDEN_API_KEYS": "[]", "WARDEN_RATE_LIMIT": "50", "WARDEN_CORS_ALLOW_CREDENTIALS": "true",
				"WARDEN_TLS_CERT_FILE": "c.pem", "WARDEN_HTTP_GATEWAY": "false",
			},
			want: func(c *Config) {
				c.CORSAllowedOrigins = OriginList{"https://app.example.com", "https://*.example.org"}
				c.CORSAllowCredentials = true
				c.Dev = true
				c.HTTPGateway = false
				c.Sessions.JWTSecret = `{"type": "HS256", "key": "k"}`
				c.Sessions.UnauthorizedRole = "anonymous"
				c.Callers.APIKeys = "[]"
				c.Callers.RateLimit = 50
				c.Callers.TLSCertFile = "c.pem"
			},
		},
		{name: "bad environment value", env: map[string]string{"WARDEN_MAX_ROWS": "many"}, wantErr: `WARDEN_MAX_ROWS="many"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			cfg.RegisterFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			err := ApplyEnv(fs, func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := DefaultConfig()
			tt.want(&want)
			if diff := cmp.Diff(want, cfg); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(c *Config)
		want []string
	}{
		{name: "defaults", edit: func(*Config) {}},
		{name: "port zero twice", edit: func(c *Config) { c.GRPCAddr, c.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0" }},
		{name: "everything wrong", edit: func(c *Config) {
			c.GRPCAddr = "nope"
			c.HTTPAddr = "127.0.0.1:7400"
			c.LogFormat = "xml"
			c.LogLevel = "loud"
			c.MaxRows = 0
			c.MaxRecvMsgSize = 10
			c.ShutdownTimeout = 0
			c.StreamWorkers = -1
			c.GCHeadroomMiB = -1
		}, want: []string{"--grpc-addr", "--log-format", "--log-level", "--max-rows", "--stream-workers", "--gc-headroom-mib", "--max-recv-msg-size", "--shutdown-timeout"}},
		{name: "no stream workers", edit: func(c *Config) { c.StreamWorkers = 0 }},
		{name: "too many stream workers", edit: func(c *Config) { c.StreamWorkers = 1 << 20 }, want: []string{"--stream-workers"}},
		{name: "same address", edit: func(c *Config) { c.HTTPAddr = c.GRPCAddr }, want: []string{"are both"}},
		{name: "dev on loopback", edit: func(c *Config) { c.Dev, c.GRPCAddr, c.HTTPAddr = true, "localhost:1", "[::1]:2" }},
		{name: "dev on every interface", edit: func(c *Config) { c.Dev, c.GRPCAddr = true, ":7400" }, want: []string{"--dev", "--grpc-addr"}},
		{name: "dev on a public address", edit: func(c *Config) { c.Dev, c.HTTPAddr = true, "10.0.0.1:7401" }, want: []string{"--dev", "--http-addr"}},
		{name: "good origins", edit: func(c *Config) {
			c.CORSAllowedOrigins = OriginList{"https://app.example.com", "http://127.0.0.1:8080", "https://*.example.org"}
			c.CORSAllowCredentials = true
		}},
		{name: "any origin", edit: func(c *Config) { c.CORSAllowedOrigins = OriginList{"*"} }},
		{name: "any origin with credentials", edit: func(c *Config) {
			c.CORSAllowedOrigins = OriginList{"*"}
			c.CORSAllowCredentials = true
		}, want: []string{"not with --cors-allow-credentials"}},
		{name: "bad origins", edit: func(c *Config) {
			c.CORSAllowedOrigins = OriginList{"example.com", "https://app.example.com/", "ftp://x.test", "https://a.*.example.com", "https://x.test:99999"}
		}, want: []string{`"example.com"`, `"https://app.example.com/"`, `"ftp://x.test"`, `"https://a.*.example.com"`, `"https://x.test:99999"`}},
		{name: "origins without the gateway", edit: func(c *Config) {
			c.CORSAllowedOrigins = OriginList{"https://app.example.com"}
			c.HTTPGateway = false
		}, want: []string{"needs the gateway"}},
		{name: "security packages validate too", edit: func(c *Config) {
			c.Callers.RateLimit = -1
			c.Sessions.UnauthorizedRole = "admin"
			c.Sessions.JWTSecret = "{"
		}, want: []string{"--rate-limit", "--unauthorized-role", "--jwt-secret"}},
		{name: "rule limits", edit: func(c *Config) { c.MaxRuleDepth, c.MaxRuleNodes = 0, 0 }, want: []string{"--max-rule-depth", "--max-rule-nodes"}},
		{name: "naming convention", edit: func(c *Config) { c.DefaultNamingConvention = "camelCase" }, want: []string{"--default-naming-convention \"camelCase\""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate: no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestConfigLogValue(t *testing.T) {
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", DefaultConfig())
	var line struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line.Config["grpc_addr"] != DefaultGRPCAddr || line.Config["max_rows"] != float64(DefaultMaxRows) {
		t.Errorf("logged config = %v", line.Config)
	}
}

// TestConfigLogValueRedacts: the secrets of the configuration never reach
// the log.
func TestConfigLogValueRedacts(t *testing.T) {
	c := DefaultConfig()
	c.Sessions.JWTSecret = `{"type": "HS256", "key": "jwt-signing-key-0123456789abcdef0123"}`
	c.Sessions.AuthHookSecret = "hook-secret-value"
	c.Callers.APIKeys = `[{"id": "a", "hash": "sha256:` + strings.Repeat("ab", 32) + `", "level": "admin"}]`
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	for _, secret := range []string{"jwt-signing-key", "hook-secret-value", strings.Repeat("ab", 32)} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("the logged configuration holds %q:\n%s", secret, buf.String())
		}
	}
	if !strings.Contains(buf.String(), `"jwt_type":"HS256"`) {
		t.Errorf("the logged configuration lacks the JWT type:\n%s", buf.String())
	}
}

func TestIsLoopbackAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:7400": true, "localhost:1": true, "[::1]:1": true, "127.1.2.3:4": true,
		":7400": false, "0.0.0.0:7400": false, "10.0.0.1:1": false, "[::]:1": false, "example.com:1": false, "nope": false,
	} {
		if got := IsLoopbackAddr(addr); got != want {
			t.Errorf("IsLoopbackAddr(%q) = %v", addr, got)
		}
	}
}
