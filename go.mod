module github.com/secuird/secuird

go 1.26
