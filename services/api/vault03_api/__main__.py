from vault03_api.main import main

main()
