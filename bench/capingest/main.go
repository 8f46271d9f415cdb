// Command capingest measures parse + validate + store of one CAP alert
// (the OASIS examples), each run with a fresh identifier, on SQLite; it
// prints the median. See docs/performance.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

func main() {
	dir := flag.String("cap", "../shared/data/cap/valid", "folder with the OASIS examples")
	runs := flag.Int("runs", 500, "alerts per example")
	flag.Parse()
	files, _ := filepath.Glob(filepath.Join(*dir, "*Oasis*.xml"))
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, "no OASIS examples in", *dir)
		os.Exit(1)
	}
	tmp, _ := os.MkdirTemp("", "capingest")
	defer os.RemoveAll(tmp)
	ctx := backstop.NewContextWithUser(context.Background(), backstop.CommandLineUser("bench"))
	db, err := sqlstore.Open(ctx, sqlstore.Options{DataDir: tmp})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer db.Close()
	svc := &alerting.Service{Store: db, Sender: "bench", Region: "620700"}
	for _, f := range files {
		doc, _ := os.ReadFile(f)
		text := string(doc)
		start := strings.Index(text, "<identifier>") + len("<identifier>")
		end := strings.Index(text, "</identifier>")
		var times []time.Duration
		for i := 0; i < *runs; i++ {
			d := []byte(text[:start] + fmt.Sprintf("bench-%d-", i) + text[start:])
			_ = end
			t := time.Now()
			if _, err := svc.IngestCAP(ctx, d, "cap"); err != nil {
				fmt.Fprintln(os.Stderr, filepath.Base(f), err)
				os.Exit(1)
			}
			times = append(times, time.Since(t))
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		fmt.Printf("%-45s median %.3f ms  p95 %.3f ms  (%d runs, parse+validate+store, SQLite)\n", filepath.Base(f), float64(times[len(times)/2].Microseconds())/1000,
			float64(times[len(times)*95/100].Microseconds())/1000, *runs)
	}
}
