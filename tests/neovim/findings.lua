-- With a scripted model: :PunieAsk's window takes the focus and shows no raw tool call; the
-- model's findings add a failing test but never repeat a live ty error; :PunieClearFindings.
local H = dofile(arg[1] .. '/helpers.lua')
local script, test_file = arg[3], arg[4]
local buf = H.open(arg[2], { model = { enabled = true, path = 'scripted:' .. script } })
H.wait(30000, function()
  return #H.diagnostics_from(buf, 'ty') > 0
end, 'ty diagnostics')
vim.cmd('PunieAsk How many type errors and failing tests?')
local punie = require('punie')
local focused = vim.api.nvim_get_current_win() == punie.last.win
H.wait(60000, function()
  return punie.last.done
end, 'the answer')
local test_buf = vim.uri_to_bufnr(vim.uri_from_fname(test_file))
H.wait(30000, function()
  return #H.diagnostics_from(test_buf, 'punie') > 0
end, 'the failing test as a finding')
local function entries(b)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(b)) do
    out[#out + 1] = d.source .. ':' .. tostring(d.code) .. '@' .. d.lnum
  end
  table.sort(out)
  return out
end
local window = table.concat(vim.api.nvim_buf_get_lines(punie.last.buf, 0, -1, false), '\n')
local result = { focused = focused, window = window, open = entries(buf), test = entries(test_buf) }
vim.keymap.del('n', 'q', { buffer = punie.last.buf }) -- as if closed; the clear comes next
vim.cmd('PunieClearFindings')
H.wait(10000, function()
  return #H.diagnostics_from(test_buf, 'punie') == 0
end, 'the findings cleared')
result.cleared = true
print(vim.json.encode(result))
os.exit(0)
