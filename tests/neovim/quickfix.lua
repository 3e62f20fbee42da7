-- Apply ruff's quick fix for an unused import through vim.lsp.buf.code_action().
local H = dofile(arg[1] .. '/helpers.lua')
local buf = H.open(arg[2], { model = { enabled = false } })
H.wait(30000, function()
  for _, d in ipairs(H.diagnostics_from(buf, 'ruff')) do
    if d.code == 'F401' then
      return true
    end
  end
  return false
end, 'an F401 diagnostic')
local before = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
vim.api.nvim_win_set_cursor(0, { 1, 7 }) -- on `os` in `import os`
vim.lsp.buf.code_action({
  apply = true,
  filter = function(action)
    return action.title:match('^Ruff %(F401%): Remove unused import') ~= nil
  end,
})
H.wait(10000, function()
  return vim.api.nvim_buf_get_lines(buf, 0, 1, false)[1] ~= before[1]
end, 'the fix to be applied')
local after = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
if #after ~= #before - 1 then
  H.fail('expected one line less, got ' .. #after .. ' from ' .. #before)
end
if vim.bo[buf].modified ~= true then
  H.fail('the buffer should be modified, not written')
end
print(after[1])
os.exit(0)
