package app

import (
	"fmt"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// NewLogger builds the server's logger from the [logging] section: zap's
// production JSON (or development console) format at the configured
// level, without stack traces, written to stderr, or to the file at
// outputPath when it is not empty (benchmarks log there, so that they pay
// what the binary pays).
func NewLogger(c config.LoggingConfig, outputPath string) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(c.Level)
	if err != nil {
		return nil, fmt.Errorf("logging.level: %w", err)
	}
	zc := zap.NewProductionConfig()
	if c.Format == "console" {
		zc = zap.NewDevelopmentConfig()
	}
	zc.Level = zap.NewAtomicLevelAt(level)
	zc.DisableStacktrace = true
	if outputPath != "" {
		zc.OutputPaths = []string{outputPath}
	}
	return zc.Build()
}
