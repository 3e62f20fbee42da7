-- :PunieAsk answers from the embedded model into the floating window.
local H = dofile(arg[1] .. '/helpers.lua')
H.open(arg[2], { model = { enabled = true } })
vim.cmd('PunieAsk ' .. arg[3])
local punie = require('punie')
H.wait(240000, function()
  return punie.last ~= nil and punie.last.done
end, 'the answer')
if not punie.last.answer then
  H.fail('no answer: ' .. punie.last.text)
end
local lines = vim.api.nvim_buf_get_lines(punie.last.buf, 0, -1, false)
print(vim.json.encode({ kind = punie.last.answer.kind, window = table.concat(lines, '\n') }))
os.exit(0)
