-- "Punie: fix this" through vim.lsp.buf.code_action(): the server verifies the model's edit
-- and sends workspace/applyEdit, which Neovim applies to the buffer (never to the disk).
local H = dofile(arg[1] .. '/helpers.lua')
local buf = H.open(arg[2], { model = { enabled = true, path = 'scripted:' .. arg[3] } })
H.wait(30000, function()
  return #H.diagnostics_from(buf, 'ty') > 0
end, 'ty diagnostics')
local messages = {}
local show = vim.lsp.handlers['window/showMessage']
vim.lsp.handlers['window/showMessage'] = function(err, result, ctx, config)
  table.insert(messages, result.message)
  return show(err, result, ctx, config)
end
local before = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
local line = H.diagnostics_from(buf, 'ty')[1].lnum
vim.api.nvim_win_set_cursor(0, { line + 1, 4 })
vim.lsp.buf.code_action({ apply = true, context = { only = { 'quickfix.punie.fix' } } })
H.wait(120000, function()
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n') ~= before
    or #messages > 0
end, 'the fix or a message')
H.wait(5000, function()
  return #messages > 0
end, 'the message that says what was applied')
print(vim.json.encode({
  text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n'),
  modified = vim.bo[buf].modified,
  messages = messages,
}))
os.exit(0)
