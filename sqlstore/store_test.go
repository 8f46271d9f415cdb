package sqlstore_test

import (
	"testing"

	"github.com/zhangye-backstop/backstop/storetest"
)

func TestStore(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			storetest.Run(t, e.Open)
		})
	}
}
