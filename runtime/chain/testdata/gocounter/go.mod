module gocounter

go 1.25
