from aisvc.cli import main

main()
