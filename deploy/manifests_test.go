// Package deploy holds the deployment files: the Dockerfile and the
// Kubernetes manifests. Its tests check what this machine can check
// without a cluster or a Docker daemon: the manifests' essentials, and the
// image the Dockerfile describes, built with go-containerregistry.
package deploy

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/wardenpdp/warden/server"
)

// The manifests' objects, as far as the checks read them.
type object struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   meta              `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       spec              `yaml:"spec"`
}

type meta struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

type spec struct {
	// Deployment
	Replicas *int           `yaml:"replicas"`
	Selector *labelSelector `yaml:"selector"`
	Template *podTemplate   `yaml:"template"`
	// Service (selector is a plain map there; read apart)
	ClusterIP string        `yaml:"clusterIP"`
	Ports     []servicePort `yaml:"ports"`
	// PodDisruptionBudget
	MaxUnavailable any `yaml:"maxUnavailable"`
	MinAvailable   any `yaml:"minAvailable"`
}

type labelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type servicePort struct {
	Name       string `yaml:"name"`
	Port       int    `yaml:"port"`
	TargetPort string `yaml:"targetPort"`
}

type podTemplate struct {
	Metadata meta    `yaml:"metadata"`
	Spec     podSpec `yaml:"spec"`
}

type podSpec struct {
	SecurityContext struct {
		RunAsNonRoot *bool `yaml:"runAsNonRoot"`
		RunAsUser    *int  `yaml:"runAsUser"`
	} `yaml:"securityContext"`
	TerminationGracePeriodSeconds int         `yaml:"terminationGracePeriodSeconds"`
	Containers                    []container `yaml:"containers"`
	Volumes                       []volume    `yaml:"volumes"`
}

type container struct {
	Name  string `yaml:"name"`
	Image string `yaml:"image"`
	Args  []string
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	EnvFrom []struct {
		ConfigMapRef *struct{ Name string } `yaml:"configMapRef"`
		SecretRef    *struct{ Name string } `yaml:"secretRef"`
	} `yaml:"envFrom"`
	Env []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
			ConfigMapKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"configMapKeyRef"`
			ResourceFieldRef *struct {
				Resource string `yaml:"resource"`
			} `yaml:"resourceFieldRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	StartupProbe   *probe `yaml:"startupProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

type probe struct {
	GRPC *struct {
		Port    int     `yaml:"port"`
		Service *string `yaml:"service"`
	} `yaml:"grpc"`
	HTTPGet   any `yaml:"httpGet"`
	TCPSocket any `yaml:"tcpSocket"`
	Exec      any `yaml:"exec"`
}

type volume struct {
	Name   string `yaml:"name"`
	Secret *struct {
		SecretName string `yaml:"secretName"`
		Items      []struct{ Key, Path string }
	} `yaml:"secret"`
	ConfigMap *struct {
		Name  string `yaml:"name"`
		Items []struct{ Key, Path string }
	} `yaml:"configMap"`
	EmptyDir any `yaml:"emptyDir"`
}

// loadManifests reads every document of kubernetes/*.yaml, strictly
// (unknown fields of the typed parts are errors only where typed).
func loadManifests(t *testing.T) (objs []object, serviceSelectors map[string]map[string]string) {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	serviceSelectors = map[string]map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var n yaml.Node
			if err := dec.Decode(&n); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			var o object
			if err := n.Decode(&o); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
				t.Fatalf("%s: a document without apiVersion, kind or name", f)
			}
			if o.Kind == "Service" {
				var svc struct {
					Spec struct {
						Selector map[string]string `yaml:"selector"`
					} `yaml:"spec"`
				}
				n.Decode(&svc)
				serviceSelectors[o.Metadata.Name] = svc.Spec.Selector
			}
			objs = append(objs, o)
		}
	}
	return objs, serviceSelectors
}

func find(t *testing.T, objs []object, kind string) []object {
	t.Helper()
	var out []object
	for _, o := range objs {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s in the manifests", kind)
	}
	return out
}

// serveEnv is every environment variable 'warden serve' reads: one per
// flag.
func serveEnv() map[string]bool {
	cfg := server.DefaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	env := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { env[server.EnvName(f.Name)] = true })
	return env
}

func subset(sub, super map[string]string) bool {
	if len(sub) == 0 {
		return false
	}
	for k, v := range sub {
		if super[k] != v {
			return false
		}
	}
	return true
}

// mebibytes reads a Kubernetes memory quantity in Mi or Gi.
func mebibytes(t *testing.T, q string) int {
	t.Helper()
	var n int
	var unit string
	for i, r := range q {
		if r < '0' || r > '9' {
			unit = q[i:]
			break
		}
		n = n*10 + int(r-'0')
	}
	switch unit {
	case "Mi":
		return n
	case "Gi":
		return n << 10
	}
	t.Fatalf("memory quantity %q: this test reads Mi and Gi", q)
	return 0
}

func TestManifests(t *testing.T) {
	objs, serviceSelectors := loadManifests(t)
	dep := find(t, objs, "Deployment")[0]
	cms := map[string]object{}
	for _, o := range find(t, objs, "ConfigMap") {
		cms[o.Metadata.Name] = o
	}
	secrets := map[string]object{}
	for _, o := range find(t, objs, "Secret") {
		secrets[o.Metadata.Name] = o
	}
	pdb := find(t, objs, "PodDisruptionBudget")[0]
	tmpl := dep.Spec.Template
	if tmpl == nil || len(tmpl.Spec.Containers) != 1 {
		t.Fatal("the Deployment has no pod template with one container")
	}
	podLabels := tmpl.Metadata.Labels
	c := tmpl.Spec.Containers[0]

	t.Run("selectors match the pods", func(t *testing.T) {
		if dep.Spec.Selector == nil || !subset(dep.Spec.Selector.MatchLabels, podLabels) {
			t.Errorf("Deployment selector %v does not select its pods %v", dep.Spec.Selector, podLabels)
		}
		if pdb.Spec.Selector == nil || !subset(pdb.Spec.Selector.MatchLabels, podLabels) {
			t.Errorf("PodDisruptionBudget selector %v does not select the pods %v", pdb.Spec.Selector, podLabels)
		}
		if pdb.Spec.MaxUnavailable == nil && pdb.Spec.MinAvailable == nil {
			t.Error("PodDisruptionBudget sets neither maxUnavailable nor minAvailable")
		}
		if dep.Spec.Replicas == nil || *dep.Spec.Replicas < 2 {
			t.Errorf("replicas %v: a disruption budget needs at least 2", dep.Spec.Replicas)
		}
		for name, sel := range serviceSelectors {
			if !subset(sel, podLabels) {
				t.Errorf("Service %s selector %v does not select the pods %v", name, sel, podLabels)
			}
		}
	})

	grpcPort := 0
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	grpcPort = ports["grpc"]
	t.Run("probes are grpc.health.v1 on the gRPC port", func(t *testing.T) {
		if grpcPort == 0 {
			t.Fatal("no container port named grpc")
		}
		env := containerEnv(c, cms)
		if addr := env["WARDEN_GRPC_ADDR"]; !strings.HasSuffix(addr, ":"+strconv.Itoa(grpcPort)) || strings.HasPrefix(addr, "127.") {
			t.Errorf("WARDEN_GRPC_ADDR %q: want every interface on the grpc port %d", addr, grpcPort)
		}
		for name, p := range map[string]*probe{"startupProbe": c.StartupProbe, "readinessProbe": c.ReadinessProbe, "livenessProbe": c.LivenessProbe} {
			switch {
			case p == nil:
				t.Errorf("%s missing", name)
			case p.GRPC == nil || p.HTTPGet != nil || p.TCPSocket != nil || p.Exec != nil:
				t.Errorf("%s is not a grpc probe", name)
			case p.GRPC.Port != grpcPort:
				t.Errorf("%s probes port %d, the gRPC port is %d", name, p.GRPC.Port, grpcPort)
			case p.GRPC.Service != nil && *p.GRPC.Service != "":
				t.Errorf("%s asks for service %q; the server's overall health is \"\"", name, *p.GRPC.Service)
			}
		}
	})

	t.Run("non-root, read-only, no privileges", func(t *testing.T) {
		sc := tmpl.Spec.SecurityContext
		if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
			t.Errorf("pod securityContext: runAsNonRoot %v runAsUser %v", sc.RunAsNonRoot, sc.RunAsUser)
		}
		csc := c.SecurityContext
		if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
			t.Error("allowPrivilegeEscalation is not false")
		}
		if csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
			t.Error("readOnlyRootFilesystem is not true")
		}
		if len(csc.Capabilities.Drop) != 1 || csc.Capabilities.Drop[0] != "ALL" {
			t.Errorf("capabilities drop %v, want [ALL]", csc.Capabilities.Drop)
		}
		if tmpl.Spec.TerminationGracePeriodSeconds <= int(server.DefaultShutdownTimeout.Seconds()) {
			t.Errorf("terminationGracePeriodSeconds %d is not longer than the shutdown timeout %s", tmpl.Spec.TerminationGracePeriodSeconds, server.DefaultShutdownTimeout)
		}
	})

	t.Run("resources", func(t *testing.T) {
		r := c.Resources
		if r.Requests["cpu"] == "" || r.Requests["memory"] == "" || r.Limits["memory"] == "" {
			t.Fatalf("resources %+v: want cpu and memory requests and a memory limit", r)
		}
		limit := mebibytes(t, r.Limits["memory"])
		if req := mebibytes(t, r.Requests["memory"]); req > limit {
			t.Errorf("memory request %s above the limit %s", r.Requests["memory"], r.Limits["memory"])
		}
		env := containerEnv(c, cms)
		headroom := env["WARDEN_GC_HEADROOM_MIB"]
		if headroom == "" {
			headroom = strconv.Itoa(server.DefaultGCHeadroomMiB)
		}
		if h := mebibytes(t, headroom+"Mi"); h >= limit {
			t.Errorf("--gc-headroom-mib %d is not under the memory limit %d Mi", h, limit)
		}
		gml := env["GOMEMLIMIT"]
		if !strings.HasSuffix(gml, "MiB") {
			t.Fatalf("GOMEMLIMIT %q: want it set, in MiB", gml)
		}
		if m := mebibytes(t, strings.TrimSuffix(gml, "B")); m >= limit || m <= mebibytes(t, headroom+"Mi") {
			t.Errorf("GOMEMLIMIT %s: want it under the memory limit %d Mi and above the GC headroom %s MiB", gml, limit, headroom)
		}
	})

	t.Run("every variable is a flag of serve and every reference exists", func(t *testing.T) {
		known := serveEnv()
		known["GOMEMLIMIT"] = true
		for name, cm := range cms {
			for k := range cm.Data {
				if strings.HasPrefix(k, "WARDEN_") && !known[k] {
					t.Errorf("ConfigMap %s: %s is not a flag of warden serve", name, k)
				}
			}
		}
		for _, ef := range c.EnvFrom {
			if ef.ConfigMapRef != nil && cms[ef.ConfigMapRef.Name].Kind == "" {
				t.Errorf("envFrom names ConfigMap %s, which the manifests lack", ef.ConfigMapRef.Name)
			}
			if ef.SecretRef != nil && secrets[ef.SecretRef.Name].Kind == "" {
				t.Errorf("envFrom names Secret %s, which the manifests lack", ef.SecretRef.Name)
			}
		}
		for _, e := range c.Env {
			if strings.HasPrefix(e.Name, "WARDEN_") && !known[e.Name] {
				t.Errorf("env %s is not a flag of warden serve", e.Name)
			}
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				ref := e.ValueFrom.SecretKeyRef
				if _, ok := secrets[ref.Name].StringData[ref.Key]; !ok {
					t.Errorf("env %s: Secret %s has no key %s", e.Name, ref.Name, ref.Key)
				}
			}
		}
		for _, v := range tmpl.Spec.Volumes {
			switch {
			case v.Secret != nil:
				for _, it := range v.Secret.Items {
					if _, ok := secrets[v.Secret.SecretName].StringData[it.Key]; !ok {
						t.Errorf("volume %s: Secret %s has no key %s", v.Name, v.Secret.SecretName, it.Key)
					}
				}
			case v.ConfigMap != nil:
				for _, it := range v.ConfigMap.Items {
					if _, ok := cms[v.ConfigMap.Name].Data[it.Key]; !ok {
						t.Errorf("volume %s: ConfigMap %s has no key %s", v.Name, v.ConfigMap.Name, it.Key)
					}
				}
			}
		}
	})

	t.Run("the files serve reads are mounted", func(t *testing.T) {
		env := containerEnv(c, cms)
		mounted := map[string]string{} // file or dir -> volume
		writable := map[string]bool{}
		for _, m := range c.VolumeMounts {
			for _, v := range tmpl.Spec.Volumes {
				if v.Name != m.Name {
					continue
				}
				switch {
				case v.Secret != nil:
					for _, it := range v.Secret.Items {
						mounted[path.Join(m.MountPath, it.Path)] = v.Name
					}
				case v.ConfigMap != nil:
					for _, it := range v.ConfigMap.Items {
						mounted[path.Join(m.MountPath, it.Path)] = v.Name
					}
				case v.EmptyDir != nil:
					mounted[m.MountPath] = v.Name
					writable[m.MountPath] = !m.ReadOnly
				}
			}
		}
		for _, k := range []string{"WARDEN_BUNDLE_VERIFICATION_KEY", "WARDEN_API_KEYS_FILE"} {
			if f := env[k]; f != "" && mounted[f] == "" {
				t.Errorf("%s %s is not a mounted file (mounted: %v)", k, f, mounted)
			}
		}
		if d := env["WARDEN_BUNDLE_CACHE_DIR"]; d != "" && !writable[d] {
			t.Errorf("WARDEN_BUNDLE_CACHE_DIR %s is not a writable volume; the root filesystem is read-only", d)
		}
		if env["WARDEN_BUNDLE_URL"] == "" {
			t.Error("no WARDEN_BUNDLE_URL: the fleet has no policy source")
		}
	})
}

// containerEnv is the container's environment: the ConfigMaps of envFrom,
// then env (a value from elsewhere named by where it comes from).
func containerEnv(c container, cms map[string]object) map[string]string {
	env := map[string]string{}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef != nil {
			for k, v := range cms[ef.ConfigMapRef.Name].Data {
				env[k] = v
			}
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.ResourceFieldRef != nil:
			env[e.Name] = e.ValueFrom.ResourceFieldRef.Resource
		default:
			env[e.Name] = "(from a reference)"
		}
	}
	return env
}
