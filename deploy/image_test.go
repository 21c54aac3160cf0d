package deploy

import (
	"archive/tar"
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// dockerfile is what the checks read of the Dockerfile: its stages and the
// final stage's instructions.
type dockerfile struct {
	froms      []string
	buildRun   string            // the RUN line with "go build"
	copies     map[string]string // final stage: COPY --from=build source -> destination
	user       string
	env        []string
	expose     []string
	entrypoint []string
	cmd        []string
}

func readDockerfile(t *testing.T) dockerfile {
	t.Helper()
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	d := dockerfile{copies: map[string]string{}}
	var lines []string
	var cont string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasSuffix(l, `\`) {
			cont += strings.TrimSuffix(l, `\`) + " "
			continue
		}
		lines = append(lines, cont+l)
		cont = ""
	}
	for _, l := range lines {
		instr, rest, _ := strings.Cut(l, " ")
		final := len(d.froms) > 1
		switch strings.ToUpper(instr) {
		case "FROM":
			d.froms = append(d.froms, rest)
		case "RUN":
			if strings.Contains(rest, "go build") {
				d.buildRun = rest
			}
		case "COPY":
			f := strings.Fields(rest)
			if final && len(f) == 3 && f[0] == "--from=build" {
				d.copies[f[1]] = f[2]
			}
		case "USER":
			d.user = rest
		case "ENV":
			if final {
				d.env = append(d.env, strings.Fields(rest)...)
			}
		case "EXPOSE":
			d.expose = strings.Fields(rest)
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(rest), &d.entrypoint); err != nil {
				t.Fatalf("ENTRYPOINT %s: want the exec form: %v", rest, err)
			}
		case "CMD":
			if err := json.Unmarshal([]byte(rest), &d.cmd); err != nil {
				t.Fatalf("CMD %s: want the exec form: %v", rest, err)
			}
		}
	}
	return d
}

func TestDockerfile(t *testing.T) {
	d := readDockerfile(t)
	if len(d.froms) != 2 || !strings.HasPrefix(d.froms[0], "golang:") || !strings.HasSuffix(d.froms[0], " AS build") {
		t.Errorf("stages %q: want a golang build stage and a final one", d.froms)
	}
	if base := d.froms[len(d.froms)-1]; base != "scratch" && !strings.HasPrefix(base, "gcr.io/distroless/static") {
		t.Errorf("final base %q: want scratch or distroless/static", base)
	}
	if !strings.Contains(d.buildRun, "CGO_ENABLED=0") {
		t.Errorf("the build %q is not CGO_ENABLED=0", d.buildRun)
	}
	uid, _, _ := strings.Cut(d.user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("USER %q: want a numeric non-root user (Kubernetes checks runAsNonRoot by number)", d.user)
	}
	if len(d.entrypoint) != 1 || d.copies["/out/warden"] != d.entrypoint[0] {
		t.Errorf("ENTRYPOINT %q is not the binary copied from the build (%v)", d.entrypoint, d.copies)
	}
	for _, want := range []string{"WARDEN_GRPC_ADDR=0.0.0.0:7400", "WARDEN_HTTP_ADDR=0.0.0.0:7401"} {
		if !contains(d.env, want) {
			t.Errorf("ENV lacks %s (the binary's defaults listen on loopback only)", want)
		}
	}
}

// TestImage builds the image the Dockerfile describes without a Docker
// daemon: the binary with the Dockerfile's own go build command, the CA
// bundle, and the final stage's user, environment and entrypoint, as one
// layer on an empty base (go-containerregistry). It writes a tarball
// 'docker load' reads (to $WARDEN_IMAGE_OUT when set), reads it back, and
// inspects what is inside.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: building the image compiles the binary")
	}
	d := readDockerfile(t)
	if d.froms[len(d.froms)-1] != "scratch" {
		t.Skip("the final stage is not scratch: this test builds only a scratch image")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "warden")

	// The Dockerfile's go build, with its environment, run here.
	var env, args []string
	fields := splitQuoted(d.buildRun)
	for len(fields) > 0 && strings.Contains(fields[0], "=") {
		env, fields = append(env, fields[0]), fields[1:]
	}
	if len(fields) < 2 || fields[0] != "go" || fields[1] != "build" {
		t.Fatalf("RUN %q: want VAR=value... go build ...", d.buildRun)
	}
	for i := 0; i < len(fields); i++ {
		if fields[i] == "-o" {
			args, i = append(args, "-o", bin), i+1
			continue
		}
		args = append(args, fields[i])
	}
	build := exec.Command(args[0], args[1:]...)
	build.Dir = ".."
	build.Env = append(os.Environ(), env...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}

	// The final stage's files.
	sources := map[string]string{"/out/warden": bin, "/etc/ssl/certs/ca-certificates.crt": "/etc/ssl/certs/ca-certificates.crt"}
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	for src, dst := range d.copies {
		local, ok := sources[src]
		if !ok {
			t.Fatalf("COPY --from=build %s: this test does not know where that comes from", src)
		}
		data, err := os.ReadFile(local)
		if err != nil {
			t.Skipf("%s: %v (the CA bundle the build stage copies is Debian's)", local, err)
		}
		mode := int64(0o644)
		if dst == d.entrypoint[0] {
			mode = 0o755
		}
		if err := tw.WriteHeader(&tar.Header{Name: strings.TrimPrefix(dst, "/"), Mode: mode, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	tw.Close()
	l, err := tarball.LayerFromReader(bytes.NewReader(layer.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", runtime.GOARCH
	cfg.Config.User, cfg.Config.Env = d.user, d.env
	cfg.Config.Entrypoint, cfg.Config.Cmd = d.entrypoint, d.cmd
	cfg.Config.ExposedPorts = map[string]struct{}{}
	for _, p := range d.expose {
		cfg.Config.ExposedPorts[p+"/tcp"] = struct{}{}
	}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "warden-image.tar")
	if o := os.Getenv("WARDEN_IMAGE_OUT"); o != "" {
		out = o
	}
	tag, err := name.NewTag("warden:test")
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(out, tag, img); err != nil {
		t.Fatal(err)
	}

	// Read back and inspect.
	got, err := tarball.ImageFromPath(out, &tag)
	if err != nil {
		t.Fatal(err)
	}
	gcfg, err := got.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if u, _, _ := strings.Cut(gcfg.Config.User, ":"); u == "" || u == "0" || u == "root" {
		t.Errorf("image user %q: want non-root", gcfg.Config.User)
	}
	if strings.Join(gcfg.Config.Entrypoint, " ") != "/warden" || strings.Join(gcfg.Config.Cmd, " ") != "serve" {
		t.Errorf("entrypoint %q cmd %q", gcfg.Config.Entrypoint, gcfg.Config.Cmd)
	}
	files := map[string]*tar.Header{}
	var binary []byte
	rc := mutate.Extract(got)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = h
		if h.Name == "warden" {
			if binary, err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(files) != 2 || files["etc/ssl/certs/ca-certificates.crt"] == nil || files["warden"] == nil {
		t.Fatalf("image files %v: want the binary and the CA bundle only", keysOf(files))
	}
	if files["warden"].Mode&0o111 == 0 {
		t.Errorf("/warden mode %o is not executable", files["warden"].Mode)
	}
	ef, err := elf.NewFile(bytes.NewReader(binary))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("/warden has a dynamic loader (PT_INTERP): not static, it would not run on scratch")
		}
	}
	if libs, _ := ef.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("/warden needs shared libraries %v", libs)
	}
	run := filepath.Join(dir, "extracted-warden")
	if err := os.WriteFile(run, binary, 0o755); err != nil {
		t.Fatal(err)
	}
	if v, err := exec.Command(run, "version").Output(); err != nil || !strings.HasPrefix(string(v), "warden ") {
		t.Errorf("the image's binary: version = %q, %v", v, err)
	}
	size, _ := l.Size()
	digest, _ := got.Digest()
	t.Logf("image %s: one layer of %.1f MiB compressed, user %s, binary %.1f MiB static; written to %s",
		digest, float64(size)/(1<<20), gcfg.Config.User, float64(len(binary))/(1<<20), out)
}

// splitQuoted splits a shell command line on blanks, outside double
// quotes, and drops the quotes (enough for the Dockerfile's one RUN).
func splitQuoted(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, any := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, any = !quoted, true
		case (r == ' ' || r == '\t') && !quoted:
			if any {
				out, any = append(out, cur.String()), false
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	if any {
		out = append(out, cur.String())
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func keysOf(m map[string]*tar.Header) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
