-- :checkhealth punie, with the server running.
local H = dofile(arg[1] .. '/helpers.lua')
H.open(arg[2], { model = { enabled = false } })
H.wait(20000, function() -- the server says the model's state once its settings are read
  return require('punie').state.model ~= 'unknown'
end, "the model's state")
vim.cmd('checkhealth punie')
local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
print(text)
os.exit(0)
