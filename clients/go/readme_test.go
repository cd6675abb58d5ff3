package vigil

import (
	"os"
	"strings"
	"testing"
)

// The README's Go snippet is the body of Example in example_test.go, which the compiler checks.
func TestReadmeSnippetIsTheCompiledExample(t *testing.T) {
	readme := read(t, "README.md")
	_, snippet, ok := strings.Cut(readme, "```go\n")
	snippet, _, ok2 := strings.Cut(snippet, "```\n")
	if !ok || !ok2 {
		t.Fatal("README.md has no ```go block")
	}
	example := read(t, "example_test.go")
	_, body, ok := strings.Cut(example, "func Example() {\n")
	body, _, ok2 = strings.Cut(body, "\n}\n")
	if !ok || !ok2 {
		t.Fatal("example_test.go has no func Example()")
	}
	lines := strings.Split(body, "\n")
	for i, line := range lines {
		lines[i] = strings.TrimPrefix(line, "\t")
	}
	if want := strings.Join(lines, "\n") + "\n"; snippet != want {
		t.Fatalf("README.md's Go snippet differs from Example in example_test.go:\n%s\nwant:\n%s", snippet, want)
	}
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
