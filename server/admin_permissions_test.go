package server

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/wardenpdp/warden/policy/model"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

func TestPermissionToProto(t *testing.T) {
	limit := 10
	own := model.Compare{Column: &model.Column{Name: "owner_id"}, Op: model.OpEq, Value: model.SessionVar{Name: "x-hasura-user-id"}}
	for _, tc := range []struct {
		name string
		perm *model.Permission
		want *wardenv1.TablePermission
	}{
		{
			name: "select of every row",
			perm: &model.Permission{Role: "reader", Op: model.OpSelect, Columns: []string{"id"}, Filter: model.True{}, Limit: &limit,
				Source: model.Source{File: "t.yaml", Path: "select_permissions[role=reader]"}},
			want: &wardenv1.TablePermission{Role: "reader", Operation: wardenv1.Operation_OPERATION_SELECT,
				Kind: wardenv1.PermissionKind_PERMISSION_KIND_ALWAYS_ALLOWED, Filter: "{}", Columns: []string{"id"}, Limit: proto32(10),
				SourceFile: "t.yaml", SourcePath: "select_permissions[role=reader]"},
		},
		{
			name: "update whose check alone is conditional",
			perm: &model.Permission{Role: "user", Op: model.OpUpdate, Filter: model.True{}, Check: own,
				Set: map[string]model.Value{"owner_id": model.SessionVar{Name: "x-hasura-user-id"}, "state": model.Literal{V: "draft"}}},
			want: &wardenv1.TablePermission{Role: "user", Operation: wardenv1.Operation_OPERATION_UPDATE,
				Kind: wardenv1.PermissionKind_PERMISSION_KIND_CONDITIONAL, Filter: "{}", Check: "{owner_id: {_eq: X-Hasura-User-Id}}",
				Set: map[string]string{"owner_id": "X-Hasura-User-Id", "state": `"draft"`}},
		},
		{
			name: "insert without a check",
			perm: &model.Permission{Role: "user", Op: model.OpInsert},
			want: &wardenv1.TablePermission{Role: "user", Operation: wardenv1.Operation_OPERATION_INSERT,
				Kind: wardenv1.PermissionKind_PERMISSION_KIND_ALWAYS_ALLOWED, Check: "{}"},
		},
		{
			name: "inherited: parents named, no source",
			perm: &model.Permission{Role: "both", Op: model.OpDelete, Filter: own, Inherited: []string{"a", "b"},
				Source: model.Source{File: "inherited_roles.yaml"}},
			want: &wardenv1.TablePermission{Role: "both", Operation: wardenv1.Operation_OPERATION_DELETE,
				Kind: wardenv1.PermissionKind_PERMISSION_KIND_CONDITIONAL, Filter: "{owner_id: {_eq: X-Hasura-User-Id}}", InheritedFrom: []string{"a", "b"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, permissionToProto(tc.perm), protocmp.Transform()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func proto32(n int32) *int32 { return &n }
