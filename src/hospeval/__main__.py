from hospeval.cli import main

main()
