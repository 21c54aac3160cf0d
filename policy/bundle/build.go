package bundle

import (
	"context"
	"fmt"
	"io/fs"
	"os"

	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

// FromDir builds the bundle of the policy set in dir: the files the loader
// reads there (the metadata and schema.yaml; a README or migrations beside
// them are left out), with schemaFile, when given, as the bundle's
// schema.yaml. It loads the bundle's files as a server will and returns
// the policy it loads to, whose revision is the manifest's. A policy set
// that does not load gives the loader's error (a *load.ValidationError
// for problems in its content).
func FromDir(ctx context.Context, dir, schemaFile string, opts ...load.Option) (*Bundle, *model.Policy, error) {
	rec := &recordingFS{fsys: os.DirFS(dir), files: map[string][]byte{}}
	lopts := opts
	if schemaFile != "" {
		lopts = append(lopts[:len(lopts):len(lopts)], load.WithSchemaFile(schemaFile))
	}
	if _, err := load.FS(ctx, rec, dir, lopts...); err != nil {
		return nil, nil, err
	}
	if schemaFile != "" {
		data, err := os.ReadFile(schemaFile)
		if err != nil {
			return nil, nil, fmt.Errorf("bundle: %w", err)
		}
		rec.files[load.SchemaFile] = data
	}
	b := &Bundle{Files: rec.files}
	// Loaded again from the bundle's own files: the revision is what a
	// server loading the bundle computes, whatever --schema was.
	p, err := load.FS(ctx, b.FS(), "bundle", opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("bundle: the bundle's files do not load as the directory did: %w", err)
	}
	b.Manifest = newManifest(p.Revision)
	return b, p, nil
}

// recordingFS keeps every file read through it.
type recordingFS struct {
	fsys  fs.FS
	files map[string][]byte
}

func (r *recordingFS) Open(name string) (fs.File, error) { return r.fsys.Open(name) }

func (r *recordingFS) ReadFile(name string) ([]byte, error) {
	data, err := fs.ReadFile(r.fsys, name)
	if err == nil {
		r.files[name] = data
	}
	return data, err
}

func (r *recordingFS) Stat(name string) (fs.FileInfo, error) { return fs.Stat(r.fsys, name) }
