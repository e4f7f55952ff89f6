module example.com/palisade-sample

go 1.19
