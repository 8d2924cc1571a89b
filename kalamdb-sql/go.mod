module github.com/kalamdb/kalamdb-go/kalamdb-sql

go 1.26.8

require github.com/kalamdb/kalamdb-go/kalamdb-store v0.0.0

require (
	github.com/linxGnu/grocksdb v1.7.14 // indirect
	go.uber.org/dig v1.19.0 // indirect
	go.uber.org/fx v1.24.0 // indirect
	go.uber.org/multierr v1.10.0 // indirect
	go.uber.org/zap v1.26.0 // indirect
	golang.org/x/sys v0.0.0-20220412211240-33da011f77ad // indirect
)

replace github.com/kalamdb/kalamdb-go/kalamdb-store => ../kalamdb-store
