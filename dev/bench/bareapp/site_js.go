package main

// site is the native build's; in the browser main never gets there.
func site() {}
