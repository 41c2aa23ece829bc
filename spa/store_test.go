package spa_test

import (
	"testing"

	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/spa/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func() spa.Store { return spa.NewMemoryStore() })
}
