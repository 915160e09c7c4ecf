package app

import (
	"context"
	"fmt"
	"io"
)

// keysCommand runs `secuird keys list|rotate|retire KID`.
func keysCommand(cfg Config, args []string, stdout, stderr io.Writer) error {
	ctx := context.Background()
	a, err := New(ctx, cfg, WithLogger(NewLogger(cfg, stderr)))
	if err != nil {
		return err
	}
	defer a.Close()
	action := "list"
	if len(args) > 0 {
		action = args[0]
	}
	switch action {
	case "list":
	case "rotate":
		if err := a.Provider.RotateKeys(ctx, true); err != nil {
			return err
		}
	case "retire":
		if len(args) < 2 {
			return fmt.Errorf("keys retire needs a key id")
		}
		if err := a.Provider.RetireKey(ctx, args[1]); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown action %q: use list, rotate or retire", action)
	}
	keys, err := a.Provider.ListKeys(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%-44s %-6s %-9s %s\n", "KID", "ALG", "STATE", "CREATED")
	for _, k := range keys {
		fmt.Fprintf(stdout, "%-44s %-6s %-9s %s\n", k.ID, k.Alg, k.State, k.CreatedAt.Format("2006-01-02T15:04:05Z"))
	}
	return nil
}
