//go:build !linux

package servers

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
