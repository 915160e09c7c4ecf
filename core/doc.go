// Package core is the root of Secuird's domain: plain Go with no I/O and no
// frameworks. Its subpackages are the leaves (fault, identity, audit,
// message, ...), which hold entities and rules and import only the standard
// library, and the use cases (account, ...), which import the leaves and
// ports. The arrows are checked by arch_test.go in this directory.
//
// This package itself holds no code.
package core
