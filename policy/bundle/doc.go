// Package bundle writes and reads a policy set as one immutable file: a
// gzipped tarball in OPA's bundle layout, so that OPA's tooling (opa
// inspect, OPA's bundle reader and its signature verification) can read
// it.
//
//	.manifest          {"revision": "...", "roots": ["warden"], "metadata": {"warden_bundle_format": 1}}
//	.signatures.json   optional: {"signatures": ["<JWS>"]}, as OPA signs bundles
//	warden/...         the files the policy set loads from: the Hasura
//	                   metadata and schema.yaml, at their paths in the
//	                   policy directory
//
// The manifest's revision is the revision the policy set reports in
// every answer: the content hash policy/load computes from the files under
// warden/. A reader recomputes it when it loads the files and refuses a
// bundle whose manifest names another revision (see CheckRevision).
//
// A signature is a JWS (compact) whose payload lists every other file of the
// bundle with its SHA-256 hash, .manifest included, exactly as OPA's
// bundle signing does; a verifier refuses a file missing from the list, a
// listed file missing from the bundle, and a hash that does not match.
package bundle
