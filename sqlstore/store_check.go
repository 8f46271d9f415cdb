package sqlstore

import "github.com/zhangye-backstop/backstop"

var _ backstop.Store = (*DB)(nil)
