// A tiny web server: the Go binary in Palisade's sample image. Its build info (Go version and
// modules) is what the scanner reads; the Go standard library's advisories apply to it.
package main

import (
	"fmt"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello from the Palisade sample image")
	})
	_ = http.ListenAndServe(":8080", nil)
}
