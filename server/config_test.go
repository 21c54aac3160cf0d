package server

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
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
		}, want: []string{"--grpc-addr", "--log-format", "--log-level", "--max-rows", "--max-recv-msg-size", "--shutdown-timeout"}},
		{name: "same address", edit: func(c *Config) { c.HTTPAddr = c.GRPCAddr }, want: []string{"are both"}},
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

func TestSecretRedacted(t *testing.T) {
	type withSecret struct {
		Name   string
		Secret Secret
	}
	v := withSecret{Name: "n", Secret: "hunter2"}

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("cfg", "secret", v.Secret, "all", v)
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{
		"slog": logged.String(),
		"json": string(b),
		"fmt":  fmt.Sprintf("%v %s %+v", v.Secret, v.Secret, v),
	} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s output leaks the secret: %s", name, out)
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s output does not say [redacted]: %s", name, out)
		}
	}
	if v.Secret.Reveal() != "hunter2" {
		t.Error("Reveal lost the value")
	}
	if Secret("").String() != "" {
		t.Error("an empty secret should print empty")
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
