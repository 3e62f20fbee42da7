-- :PunieAsk {question}, or on a visual selection :'<,'>PunieAsk {question}
vim.api.nvim_create_user_command('PunieAsk', function(args)
  local question = args.args ~= '' and args.args or vim.fn.input('Ask punie: ')
  local range = args.range > 0 and { args.line1, args.line2 } or nil
  require('punie').ask(question, range)
end, { nargs = '*', range = true, desc = 'Ask punie-lsp a question about this project' })
