package config

import (
	"strings"
	"testing"
)

// TestOrderIndexBudgetOddValues: values of limits.order_index_budget a
// hostile or careless operator writes, in the file and the environment:
// each is either refused naming the key, or read as a value in range.
func TestOrderIndexBudgetOddValues(t *testing.T) {
	for _, val := range []string{"1_024", "0x10", "0o17", "1e3", "1.5", "true", `"5"`, "+5", "-0", " 7 ", "5\t", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808", "1073741824", "1073741825", "", "١٢"} {
		env := func(k string) (string, bool) {
			if k == "KALAMDB_LIMITS_ORDER_INDEX_BUDGET" {
				return val, true
			}
			return "", false
		}
		file := writeFile(t, "[limits]\norder_index_budget = "+val+"\n")
		for _, src := range []struct {
			name string
			load func() (*Config, error)
		}{{"env", func() (*Config, error) { return Load("", env) }}, {"file", func() (*Config, error) { return Load(file, mapEnv(nil)) }}} {
			cfg, err := src.load()
			switch {
			case err != nil && !strings.Contains(err.Error(), "order_index_budget"):
				t.Errorf("%s %q: error not naming the key: %v", src.name, val, err)
			case err == nil && (cfg.Limits.OrderIndexBudget < 0 || cfg.Limits.OrderIndexBudget > MaxOrderIndexBudget):
				t.Errorf("%s %q: accepted out of range as %d", src.name, val, cfg.Limits.OrderIndexBudget)
			default:
				t.Logf("%s %q: %v %v", src.name, val, func() any {
					if cfg != nil {
						return cfg.Limits.OrderIndexBudget
					}
					return nil
				}(), err)
			}
		}
	}
}
