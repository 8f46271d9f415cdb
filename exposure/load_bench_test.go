package exposure_test

import (
	"os"
	"testing"

	"github.com/zhangye-backstop/backstop/exposure"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
)

// BenchmarkLoad2M builds the index from a store made with
// `backstop demo --households 2000000 --data $BACKSTOP_BENCH_STORE`.
func BenchmarkLoad2M(b *testing.B) {
	dir := os.Getenv("BACKSTOP_BENCH_STORE")
	if dir == "" {
		b.Skip("set BACKSTOP_BENCH_STORE to a data directory with demo households")
	}
	db, err := sqlstore.Open(storetest.Admin(), sqlstore.Options{DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for i := 0; i < b.N; i++ {
		s := &exposure.Service{Store: db}
		if err := s.Load(storetest.Admin()); err != nil {
			b.Fatal(err)
		}
	}
}
