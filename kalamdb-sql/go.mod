module github.com/kalamdb/kalamdb-go/kalamdb-sql

go 1.26.8

require (
	github.com/dolthub/vitess v0.0.0-20250512224608-8fb9c6ea092c
	github.com/kalamdb/kalamdb-go/kalamdb-store v0.0.0
	github.com/pganalyze/pg_query_go/v6 v6.2.5
	github.com/shopspring/decimal v1.3.1
	google.golang.org/protobuf v1.33.0
)

require (
	github.com/golang/protobuf v1.5.0 // indirect
	github.com/linxGnu/grocksdb v1.7.14 // indirect
	go.uber.org/dig v1.19.0 // indirect
	go.uber.org/fx v1.24.0 // indirect
	go.uber.org/goleak v1.3.0 // indirect
	go.uber.org/multierr v1.10.0 // indirect
	go.uber.org/zap v1.26.0 // indirect
	golang.org/x/net v0.0.0-20211015210444-4f30a5c0130f // indirect
	golang.org/x/sys v0.6.0 // indirect
	golang.org/x/text v0.3.7 // indirect
	google.golang.org/genproto v0.0.0-20190926190326-7ee9db18f195 // indirect
	google.golang.org/grpc v1.24.0 // indirect
)

replace github.com/kalamdb/kalamdb-go/kalamdb-store => ../kalamdb-store
