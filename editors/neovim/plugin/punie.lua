-- :PunieAsk {question}, or on a visual selection :'<,'>PunieAsk {question}
vim.api.nvim_create_user_command('PunieAsk', function(args)
  local question = args.args ~= '' and args.args or vim.fn.input('Ask punie: ')
  local range = args.range > 0 and { args.line1, args.line2 } or nil
  require('punie').ask(question, range)
end, { nargs = '*', range = true, desc = 'Ask punie-lsp a question about this project' })

-- :PunieClearFindings: drop the model's findings (diagnostics with source "punie").
vim.api.nvim_create_user_command('PunieClearFindings', function()
  require('punie').clear_findings()
end, { desc = "Clear punie-lsp's model findings" })

-- The model's code actions carry a punie.ask command: answered in the same window as :PunieAsk
-- (without this, Neovim would send the command and show nothing of its answer).
vim.lsp.commands['punie.ask'] = function(command, ctx)
  require('punie').run(command.arguments[1], ctx.bufnr)
end

-- The model's state and the streamed answer, from work-done progress: registered here, so that
-- a client started by `vim.lsp.enable('punie')` alone is heard too (:checkhealth punie).
vim.api.nvim_create_autocmd('LspProgress', {
  callback = function(ev)
    require('punie').on_progress(ev)
  end,
})
