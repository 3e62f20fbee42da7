-- The model's code action "check types in this file" answers in the :PunieAsk window.
local H = dofile(arg[1] .. '/helpers.lua')
local buf = H.open(arg[2], { model = { enabled = true, path = 'scripted:' .. arg[3] } })
H.wait(30000, function()
  return #H.diagnostics_from(buf, 'ty') > 0
end, 'ty diagnostics')
vim.lsp.buf.code_action({
  apply = true,
  context = { only = { 'source.punie.checkTypes' }, diagnostics = {} },
})
local punie = require('punie')
H.wait(60000, function()
  return punie.last ~= nil and punie.last.done
end, 'the answer of the code action')
local window = table.concat(vim.api.nvim_buf_get_lines(punie.last.buf, 0, -1, false), '\n')
print(vim.json.encode({ window = window, question = punie.last.answer.question }))
os.exit(0)
