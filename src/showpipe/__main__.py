from showpipe.cli import main

main()
