package callerauth

import (
	"strings"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

type reqKind int

const (
	reqAdmin reqKind = iota // the zero Requirement is the strictest
	reqOpen
	reqAnyCaller
	reqGrant
)

// Requirement is what a method asks of its caller.
type Requirement struct {
	kind  reqKind
	grant Grant
}

// Open needs no caller at all (health checks).
func Open() Requirement { return Requirement{kind: reqOpen} }

// AnyCaller needs an authenticated caller, whatever its grants (server
// reflection).
func AnyCaller() Requirement { return Requirement{kind: reqAnyCaller} }

// AdminOnly needs an admin-level caller.
func AdminOnly() Requirement { return Requirement{kind: reqAdmin} }

// RequireGrant needs a caller holding the grant (or an admin).
func RequireGrant(g Grant) Requirement { return Requirement{kind: reqGrant, grant: g} }

// String names the requirement: "no caller", "a caller", "admin",
// "the check grant".
func (r Requirement) String() string {
	switch r.kind {
	case reqOpen:
		return "no caller"
	case reqAnyCaller:
		return "a caller"
	case reqGrant:
		return "the " + string(r.grant) + " grant"
	}
	return "admin"
}

func (r Requirement) allows(c *Caller) bool {
	switch r.kind {
	case reqOpen:
		return true
	case reqAnyCaller:
		return c != nil
	case reqGrant:
		return c.Can(r.grant)
	}
	return c.IsAdmin()
}

// MethodTable maps gRPC methods to requirements. Keys are full method names
// ("/warden.v1.AuthorizationService/Check") or a whole service
// ("/warden.v1.AdminService/*"). A method in neither needs an admin: new
// methods are closed until someone opens them.
type MethodTable map[string]Requirement

// DefaultMethods is Warden's table: Check needs the check grant, Filter the
// filter grant, the admin service an admin; health is open; reflection and
// the diagnostics echo (a transport baseline that does no work and returns
// only what it was sent) need any caller, so they pass the same
// authentication and rate limit as a decision.
func DefaultMethods() MethodTable {
	return MethodTable{
		wardenv1.AuthorizationService_Check_FullMethodName:  RequireGrant(GrantCheck),
		wardenv1.AuthorizationService_Filter_FullMethodName: RequireGrant(GrantFilter),
		// CheckGraphQL answers the same question as Check (may this
		// session do this), so the same grant opens it.
		wardenv1.AuthorizationService_CheckGraphQL_FullMethodName:           RequireGrant(GrantCheck),
		service(wardenv1.AdminService_ServiceDesc.ServiceName):              AdminOnly(),
		service(wardenv1.DiagnosticsService_ServiceDesc.ServiceName):        AnyCaller(),
		service(healthpb.Health_ServiceDesc.ServiceName):                    Open(),
		service(reflectionv1.ServerReflection_ServiceDesc.ServiceName):      AnyCaller(),
		service(reflectionv1alpha.ServerReflection_ServiceDesc.ServiceName): AnyCaller(),
	}
}

func service(name string) string { return "/" + name + "/*" }

// Lookup returns the method's requirement: its own entry, else its
// service's, else AdminOnly.
func (t MethodTable) Lookup(fullMethod string) Requirement {
	if r, ok := t[fullMethod]; ok {
		return r
	}
	if i := strings.LastIndexByte(fullMethod, '/'); i > 0 {
		if r, ok := t[fullMethod[:i]+"/*"]; ok {
			return r
		}
	}
	return AdminOnly()
}
