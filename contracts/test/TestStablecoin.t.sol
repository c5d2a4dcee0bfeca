// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {Base} from "./Base.sol";
import {TestStablecoin} from "../src/TestStablecoin.sol";

contract TestStablecoinTest is Base {
    TestStablecoin internal token;

    function setUp() public {
        token = new TestStablecoin();
    }

    function test_SixDecimalsMintedOnlyByItsMinter() public {
        assertEq(token.decimals(), 6, "decimals");
        token.mint(address(1), 5);
        assertEq(token.totalSupply(), 5, "supply");
        vm.prank(address(1));
        vm.expectRevert(TestStablecoin.NotMinter.selector);
        token.mint(address(1), 5);
    }

    function test_TransferFromSpendsTheAllowanceButNotAnUnlimitedOne() public {
        token.mint(address(1), 100);
        vm.prank(address(1));
        token.approve(address(this), 60);
        token.transferFrom(address(1), address(2), 50);
        assertEq(token.allowance(address(1), address(this)), 10, "spent down");
        vm.expectRevert(TestStablecoin.InsufficientAllowance.selector);
        token.transferFrom(address(1), address(2), 11);
        vm.prank(address(1));
        token.approve(address(this), type(uint256).max);
        token.transferFrom(address(1), address(2), 50);
        assertEq(token.allowance(address(1), address(this)), type(uint256).max, "unlimited stays");
        vm.expectRevert(TestStablecoin.InsufficientBalance.selector);
        token.transferFrom(address(1), address(2), 1);
    }
}
