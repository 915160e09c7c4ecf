package redis

import (
	"testing"

	"github.com/secuird/secuird/ports"
	"github.com/secuird/secuird/ports/porttest"
	"github.com/secuird/secuird/ports/porttest/testenv"
)

func TestDenylist(t *testing.T) {
	redisURL := testenv.RedisURL(t)
	t.Parallel()
	porttest.RunTokenDenylist(t, func(t *testing.T) ports.TokenDenylist { return open(t, redisURL) })
}
