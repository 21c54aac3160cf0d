package server

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// Filter is not implemented yet; it says so rather than guess.
func (a *authorizationService) Filter(context.Context, *wardenv1.FilterRequest) (*wardenv1.FilterResponse, error) {
	return nil, status.Error(codes.Unimplemented, "Filter is not implemented yet in this version of Warden; use Check")
}
