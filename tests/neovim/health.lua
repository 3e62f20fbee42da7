-- :checkhealth punie, with the server running.
local H = dofile(arg[1] .. '/helpers.lua')
H.open(arg[2], { model = { enabled = false } })
vim.cmd('checkhealth punie')
local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
print(text)
os.exit(0)
