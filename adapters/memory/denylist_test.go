package memory_test

import (
	"testing"

	"github.com/secuird/secuird/adapters/memory"
	"github.com/secuird/secuird/ports"
	"github.com/secuird/secuird/ports/porttest"
)

func TestDenylist(t *testing.T) {
	t.Parallel()
	porttest.RunTokenDenylist(t, func(*testing.T) ports.TokenDenylist { return memory.NewDenylist(nil) })
}
