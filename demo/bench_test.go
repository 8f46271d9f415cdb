package demo_test

import (
	"github.com/zhangye-backstop/backstop"
	"io"
	"testing"

	"github.com/zhangye-backstop/backstop/demo"
	"github.com/zhangye-backstop/backstop/storetest"
)

// BenchmarkGenerate measures making the 20,000 households of `make run`
// without a database: the generator's own share of the start-up.
func BenchmarkGenerate(b *testing.B) {
	g := demo.NewGeography(1, 10)
	b.ReportAllocs()
	for b.Loop() {
		gen := demo.NewGenerator(g, 1)
		people := 0
		gen.Sequence(20000, func(h *backstop.Household) bool { people += len(h.Members); return true })
		if people < 40000 {
			b.Fatalf("%d people in 20,000 households", people)
		}
	}
}

// BenchmarkFill measures demo.Fill of 20,000 households into a fresh
// SQLite file, as `make run` does on first start.
func BenchmarkFill(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		db := storetest.OpenSQLite(b)
		b.StartTimer()
		if filled, err := demo.Fill(storetest.Admin(), db, 20000, 1, nil); err != nil || !filled {
			b.Fatalf("fill: %v %v", filled, err)
		}
	}
}

// BenchmarkWriteRoster measures writing a 100,000-person roster CSV.
func BenchmarkWriteRoster(b *testing.B) {
	g := demo.NewGeography(1, 10)
	for b.Loop() {
		if _, err := demo.WriteRoster(io.Discard, g, 100000, 1); err != nil {
			b.Fatal(err)
		}
	}
}
