module gocontract

go 1.25
