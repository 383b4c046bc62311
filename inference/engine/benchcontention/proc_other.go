//go:build !linux

package main

import "syscall"

// dieWithParent: only Linux can tie a child's life to its parent's; elsewhere the busy loops
// notice that their parent is gone (spinFor) or stop at their deadline.
func dieWithParent() *syscall.SysProcAttr { return nil }
