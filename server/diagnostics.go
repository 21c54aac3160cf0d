package server

import (
	"context"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// diagnosticsService answers Echo: the transport baseline, through the same
// interceptors as a decision.
type diagnosticsService struct {
	wardenv1.UnimplementedDiagnosticsServiceServer
}

func (diagnosticsService) Echo(_ context.Context, req *wardenv1.EchoRequest) (*wardenv1.EchoResponse, error) {
	return &wardenv1.EchoResponse{Payload: req.GetPayload()}, nil
}
