package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// EnvPrefix starts every environment variable the server reads.
const EnvPrefix = "KALAMDB_"

// EnvConfigPath names the config file when no --config flag is given.
const EnvConfigPath = "KALAMDB_CONFIG"

// Env looks up an environment variable; os.LookupEnv in production, a map
// in tests.
type Env func(key string) (string, bool)

// Aliases returns the short environment names (the README lists them),
// each mapped to
// the systematic name it stands for. Aliases are applied before the
// systematic names, so when both are set the systematic (more specific) one
// wins. A function, not a package variable, so nobody can mutate it.
func Aliases() map[string]string {
	return map[string]string{
		"KALAMDB_DATA_DIR":      "KALAMDB_STORAGE_DATA_DIR",
		"KALAMDB_ROOT_PASSWORD": "KALAMDB_AUTH_ROOT_PASSWORD",
		"KALAMDB_JWT_SECRET":    "KALAMDB_AUTH_JWT_SECRET",
		"KALAMDB_LOG_LEVEL":     "KALAMDB_LOGGING_LEVEL",
		"KALAMDB_LOG_FORMAT":    "KALAMDB_LOGGING_FORMAT",
		"KALAMDB_NODE_ID":       "KALAMDB_SERVER_NODE_ID",
	}
}

// LoadFromEnvironment loads the configuration the way the daemon does:
// the file named by flagPath (the --config flag; "" when absent), else by
// $KALAMDB_CONFIG, else none; then the process environment; then Validate.
func LoadFromEnvironment(flagPath string) (*Config, error) {
	return Load(flagPath, os.LookupEnv)
}

// Load builds a validated Config from defaults, the TOML file at path (or,
// when path is "", the file named by KALAMDB_CONFIG in env, or no file) and
// the environment overrides in env.
func Load(path string, env Env) (*Config, error) {
	cfg := Default()
	if path == "" {
		if p, ok := env(EnvConfigPath); ok {
			path = strings.TrimSpace(p)
		}
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: read %s: %w", path, err)
		}
		if err := decodeTOML(string(data), &cfg); err != nil {
			return nil, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if err := applyEnv(&cfg, env); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// decodeTOML decodes doc over cfg (so absent keys keep their current value)
// and refuses keys the Config does not have: a misspelt key silently
// ignored is a setting the operator believes is in force but is not.
func decodeTOML(doc string, cfg *Config) error {
	md, err := toml.Decode(doc, cfg)
	if err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, len(undecoded))
		for i, k := range undecoded {
			keys[i] = k.String()
		}
		return fmt.Errorf("unknown key(s): %s", strings.Join(keys, ", "))
	}
	return nil
}

// envKey is one overridable key: its systematic environment name, its
// dotted file key and the field it sets.
type envKey struct {
	env   string
	key   string
	field reflect.Value
}

// envKeys walks Config's two-level struct (section, key) by its toml tags,
// so every key gets an environment name without a hand-kept list.
func envKeys(cfg *Config) []envKey {
	var out []envKey
	root := reflect.ValueOf(cfg).Elem()
	for i := 0; i < root.NumField(); i++ {
		section := root.Type().Field(i).Tag.Get("toml")
		sv := root.Field(i)
		for j := 0; j < sv.NumField(); j++ {
			key := sv.Type().Field(j).Tag.Get("toml")
			out = append(out, envKey{
				env:   EnvPrefix + strings.ToUpper(section) + "_" + strings.ToUpper(key),
				key:   section + "." + key,
				field: sv.Field(j),
			})
		}
	}
	return out
}

// EnvNames maps every systematic environment variable to its file key
// (for documentation and tests).
func EnvNames() map[string]string {
	var cfg Config
	out := map[string]string{}
	for _, k := range envKeys(&cfg) {
		out[k.env] = k.key
	}
	return out
}

func applyEnv(cfg *Config, env Env) error {
	keys := envKeys(cfg)
	byEnv := make(map[string]envKey, len(keys))
	for _, k := range keys {
		byEnv[k.env] = k
	}
	var errs []error
	// Aliases first (sorted for deterministic error order), then the
	// systematic names, which therefore win.
	aliases := Aliases()
	aliasNames := make([]string, 0, len(aliases))
	for a := range aliases {
		aliasNames = append(aliasNames, a)
	}
	sort.Strings(aliasNames)
	for _, a := range aliasNames {
		if v, ok := env(a); ok {
			if err := setField(byEnv[aliases[a]], a, v); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, k := range keys {
		if v, ok := env(k.env); ok {
			if err := setField(k, k.env, v); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// setField parses v into k's field. name is the variable actually read
// (an alias or the systematic name), so the error names what to fix.
func setField(k envKey, name, v string) error {
	fail := func(want string, err error) error {
		return fmt.Errorf("config: environment %s (%s) = %q: want %s: %w", name, k.key, v, want, err)
	}
	f := k.field
	if f.Type() == reflect.TypeOf(time.Duration(0)) {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return fail("a duration such as \"30s\"", err)
		}
		f.SetInt(int64(d))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(v)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fail("true or false", err)
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, f.Type().Bits())
		if err != nil {
			return fail("an integer", err)
		}
		f.SetInt(n)
	case reflect.Float64:
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return fail("a number", err)
		}
		f.SetFloat(x)
	case reflect.Slice:
		if f.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("config: %s: unsupported field type %s", k.key, f.Type())
		}
		// A list of paths, separated like PATH (':' on Unix).
		list := []string{}
		if strings.TrimSpace(v) != "" {
			list = filepath.SplitList(v)
		}
		f.Set(reflect.ValueOf(list))
	default:
		// Only reachable if a field of an unsupported type is added to
		// Config; the test over every key catches that.
		return fmt.Errorf("config: %s: unsupported field type %s", k.key, f.Type())
	}
	return nil
}
