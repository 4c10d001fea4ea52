//go:build tools

// Package tools pins the runc command scripts/role-tools builds.
package tools

import _ "github.com/opencontainers/runc"
