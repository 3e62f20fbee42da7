from punie_lsp.cli import main

raise SystemExit(main())
